import FileIO
import Foundation

/// The safetensors container: an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, `__metadata__` of strings, then raw little-endian data.
public enum SafeTensors {
    /// One F32 tensor to write.
    public struct Tensor {
        /// Its name.
        public let name: String
        /// Its shape.
        public let shape: [Int]
        /// Its values, row-major.
        public let values: UnsafeBufferPointer<Float>
        /// A tensor view.
        public init(name: String, shape: [Int], values: UnsafeBufferPointer<Float>) { self.name = name; self.shape = shape; self.values = values }
    }

    /// A validated file: metadata, and each tensor's shape and offset into `data`.
    public struct File {
        /// The `__metadata__` strings.
        public let metadata: [String: String]
        /// Shape and element offset (into `data`) of every tensor, by name.
        public let tensors: [String: (shape: [Int], offset: Int)]
        /// All tensor data as floats.
        public let data: [Float]

        /// A tensor's values copied into `destination`, which must hold `count` floats.
        public func copy(_ name: String, into destination: UnsafeMutablePointer<Float>, count: Int) {
            guard let entry = tensors[name] else { return }
            data.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                destination.update(from: base + entry.offset, count: count)
            }
        }
    }

    /// Largest header accepted (the JSON of even a large model is far smaller).
    static let maxHeaderBytes = 64 << 20

    /// How values are stored: 32-bit floats, or 16-bit (IEEE half) floats that read back as Float.
    public enum Precision: String, Sendable, CaseIterable {
        case f32 = "F32", f16 = "F16"
        /// Bytes per value.
        var bytes: Int { self == .f32 ? 4 : 2 }
    }

    /// Writes tensors and metadata atomically (temporary file, then rename), keys sorted so files are
    /// reproducible, every value in `precision` (F16 rounds to nearest even).
    public static func write(_ tensors: [Tensor], metadata: [String: String], to path: String, precision: Precision = .f32) throws {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for tensor in tensors {
            let size = tensor.values.count * precision.bytes
            header[tensor.name] = ["dtype": precision.rawValue, "shape": tensor.shape, "data_offsets": [offset, offset + size]]
            offset += size
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (json.count + 8) % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var file = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        for tensor in tensors {
            switch precision {
            case .f32: file.append(Data(buffer: tensor.values))
            case .f16: tensor.values.map { Float16($0) }.withUnsafeBytes { file.append(contentsOf: $0) }
            }
        }
        try AtomicFile.write(file, to: path)
    }

    /// Reads a file whose metadata must carry `format`, validated as below.
    public static func read(_ path: String, format: String) throws(CheckpointError) -> File {
        let file = try read(path)
        guard file.metadata["format"] == format else {
            throw CheckpointError(path: path, problem: "format is \(file.metadata["format"].map { "'\($0)'" } ?? "missing"), expected '\(format)'")
        }
        return file
    }

    /// Reads and validates a file: header length, JSON, string metadata, F32 or F16 dtypes, shapes matching
    /// byte counts, offsets inside the data, no overlaps. Errors name the first problem.
    public static func read(_ path: String) throws(CheckpointError) -> File {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(path: path, problem: problem) }
        guard let bytes = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else {
            throw fail(FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        guard bytes.count >= 8 else { throw fail("too short to be a safetensors file (\(bytes.count) bytes)") }
        let headerLength = bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(maxHeaderBytes), headerLength <= UInt64(bytes.count - 8) else {
            throw fail("not a safetensors file (its first 8 bytes are not a header length): header length \(headerLength) does not fit in a file of \(bytes.count) bytes")
        }
        let dataStart = 8 + Int(headerLength)
        guard let object = try? JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<dataStart)), let header = object as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        guard let metadata = header["__metadata__"] as? [String: String] else { throw fail("no __metadata__ with string values") }
        let dataSize = bytes.count - dataStart
        var tensors: [String: (shape: [Int], offset: Int)] = [:]
        var ranges: [(Int, Int, String)] = []
        var data: [Float] = []
        for (name, value) in header where name != "__metadata__" {
            guard let tensor = value as? [String: Any], let dtype = tensor["dtype"] as? String,
                  let shape = tensor["shape"] as? [Int], let offsets = tensor["data_offsets"] as? [Int], offsets.count == 2 else {
                throw fail("tensor '\(name)' lacks dtype, shape or data_offsets")
            }
            guard let precision = Precision(rawValue: dtype) else { throw fail("tensor '\(name)' has dtype \(dtype); only F32 and F16 are supported") }
            guard shape.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }), offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataSize,
                  offsets[0] % precision.bytes == 0 else {
                throw fail("tensor '\(name)' has offsets \(offsets) outside the \(dataSize) data bytes")
            }
            let elements = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
            guard elements != Int.max, elements * precision.bytes == offsets[1] - offsets[0] else {
                throw fail("tensor '\(name)' has shape \(shape) but \(offsets[1] - offsets[0]) bytes")
            }
            tensors[name] = (shape, data.count)
            ranges.append((offsets[0], offsets[1], name))
            // Each tensor's values as Float, read from its own bytes (copied as they are, or widened from half).
            bytes.withUnsafeBytes { all in
                let raw = UnsafeRawBufferPointer(rebasing: all[(dataStart + offsets[0])..<(dataStart + offsets[1])])
                switch precision {
                case .f32: data += [Float](unsafeUninitializedCapacity: elements) { buffer, count in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
                    count = elements
                }
                case .f16: data += (0..<elements).map { Float(raw.loadUnaligned(fromByteOffset: 2 * $0, as: Float16.self)) }
                }
            }
        }
        ranges.sort { $0.0 < $1.0 }
        for (a, b) in zip(ranges, ranges.dropFirst()) where b.0 < a.1 {
            throw fail("tensors '\(a.2)' and '\(b.2)' overlap")
        }
        return File(metadata: metadata, tensors: tensors, data: data)
    }
}
