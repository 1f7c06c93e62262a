import Randomness
import Testing

@Suite struct FNV1aHashes {
    /// The published FNV-1a test vectors, and the raw-memory overload giving the generic one's hash.
    @Test func matchesTheReferenceAndItself() {
        var empty = FNV1a(), letter = FNV1a(), word = FNV1a()
        letter.add("a".utf8)
        word.add("foobar".utf8)
        #expect(empty.hex == "cbf29ce484222325")
        #expect(letter.hex == "af63dc4c8601ec8c")
        #expect(word.hex == "85944171f73967e8")
        var lazily = FNV1a()
        lazily.add("foobar".utf8.lazy.map { $0 })  // not contiguous
        #expect(lazily.hex == "85944171f73967e8")
        let bytes: [UInt8] = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        var generic = FNV1a(), raw = FNV1a()
        generic.add(bytes)
        bytes.withUnsafeBytes { raw.add($0) }
        #expect(raw.value == generic.value)
        empty.add(UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(empty.hex == "cbf29ce484222325")
    }
}
