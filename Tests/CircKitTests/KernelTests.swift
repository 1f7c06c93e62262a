import Foundation
import Testing

/// A venv with ipykernel, nbclient and the circ kernelspec (pointing at the circ built beside the
/// tests), made once per machine; or why there is none (no python3, PyPI unreachable).
private let kernelPython: Result<String, KernelUnavailable> = {
    guard let python3 else { return .failure(KernelUnavailable("python3 is not on the PATH")) }
    let venv = NSTemporaryDirectory() + "circ-kernel-test-venv", python = venv + "/bin/python"
    let ready = (try? runProgram(python, ["-c", "import ipykernel, nbclient, nbformat, jupyter_client"]))?.status == 0
    if !ready {
        guard let made = try? runProgram(python3, ["-m", "venv", "--clear", venv]), made.status == 0 else {
            return .failure(KernelUnavailable("python3 -m venv failed"))
        }
        guard let installed = try? runProgram(venv + "/bin/pip", ["install", "-q", "ipykernel", "nbclient", "nbformat", "jupyter_client"]),
              installed.status == 0 else {
            return .failure(KernelUnavailable("pip could not install ipykernel and nbclient (is PyPI reachable?)"))
        }
    }
    guard let spec = try? runProgram(python, [root + "/kernel/install_kernelspec.py", circExecutable, "--sys-prefix"]), spec.status == 0 else {
        return .failure(KernelUnavailable("installing the kernelspec failed"))
    }
    return .success(python)
}()

/// Why the kernel tests cannot run here.
private struct KernelUnavailable: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

@Suite(.serialized, .enabled(if: {
    if case .failure(let why) = kernelPython { print("Jupyter kernel tests skipped: \(why.reason)") }
    return (try? kernelPython.get()) != nil
}(), "no Python venv with ipykernel and nbclient could be made here (the reason is printed above)"))
struct JupyterKernel {
    @Test func executesCompletesInspectsAndInterrupts() throws {
        let result = try runProgram(try kernelPython.get(), [root + "/kernel/check_kernel.py"])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("kernel checks passed"))
    }

    @Test func theTutorialNotebookRunsWithInlineFigures() throws {
        let out = NSTemporaryDirectory() + "circ-tutorial-\(UUID().uuidString).ipynb"
        let cache = NSTemporaryDirectory() + "circ-notebook-cache-\(UUID().uuidString)"
        defer { for path in [out, cache] { try? FileManager.default.removeItem(atPath: path) } }
        let process = Process(), errors = Pipe()
        process.executableURL = URL(fileURLWithPath: try kernelPython.get())
        process.arguments = [root + "/kernel/run_notebook.py", root + "/docs/tutorial.ipynb", out]
        process.environment = ProcessInfo.processInfo.environment.merging(["CIRC_CACHE": cache]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let messages = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(messages)")
        let notebook = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any]
        let cells = notebook?["cells"] as? [[String: Any]] ?? []
        func outputs(tagged tag: String) -> [[String: Any]] {
            let cell = cells.first { (($0["metadata"] as? [String: Any])?["tags"] as? [String])?.contains(tag) == true }
            return cell?["outputs"] as? [[String: Any]] ?? []
        }
        for tag in ["overlap", "trace", "patch-scan", "plot"] {
            let figures = outputs(tagged: tag).compactMap { ($0["data"] as? [String: Any])?["image/svg+xml"] }
            #expect(figures.count == 1, "the \(tag) cell shows no SVG figure")
        }
        let error = outputs(tagged: "error").first { $0["output_type"] as? String == "error" }
        #expect(error?["evalue"] as? String == "unknown task \"swap_frist_last\"")
        // A notebook file stores multi-line text as a list of lines.
        let table = outputs(tagged: "after-error").compactMap { ($0["data"] as? [String: Any])?["text/html"] as? [String] }.map { $0.joined() }
        #expect(table.first?.hasPrefix("<table>") == true, "the kernel did not go on after the error")
    }
}
