import CircLang
import Foundation

/// Runs a sweep's unfinished cells as `jobs` local circ processes at a time, with a progress bar
/// over cells. Ctrl-C stops the running cells (they are rerun on resume) and keeps finished ones.
public struct LocalSweep {
    /// The sweep.
    public let folder: SweepFolder
    /// The circ executable the cells run in.
    public let executable: String
    /// How many cells run at once.
    public let jobs: Int

    /// A runner for a sweep folder.
    public init(folder: SweepFolder, executable: String, jobs: Int) {
        self.folder = folder
        self.executable = executable
        self.jobs = max(1, jobs)
    }

    /// Runs every unfinished cell; false when Ctrl-C stopped the run.
    public func run() -> Bool {
        var queue = folder.unfinished()
        let total = folder.cells.count, cores = ProcessInfo.processInfo.activeProcessorCount
        let progress = ProgressBar(title: "sweep", total: total, unit: "cells", alreadyDone: total - queue.count, plainInterval: 30)
        var environment = ProcessInfo.processInfo.environment
        environment["CIRC_THREADS"] = String(max(1, cores / jobs))
        var running: [Int: Process] = [:], done = total - queue.count, failed = 0, stopping = false
        queue.reverse()
        progress.update(done, "\(queue.count) to run")
        while !queue.isEmpty || !running.isEmpty {
            if Interrupt.isRequested && !stopping {
                stopping = true
                queue.removeAll()
                for process in running.values where process.isRunning { process.interrupt() }
            }
            while running.count < jobs, let index = queue.popLast() {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = ["sweep-cell", folder.path, String(index)]
                process.environment = environment
                do { try process.run() } catch {
                    folder.markFailed(index, "cannot start \(executable): \(error.localizedDescription)")
                    failed += 1
                    continue
                }
                running[index] = process
            }
            usleep(50_000)
            for (index, process) in running where !process.isRunning {
                running[index] = nil
                if case .finished = folder.state(index) { done += 1 } else if !stopping { failed += 1 }
                progress.update(done, "\(running.count) running" + (failed > 0 ? ", \(failed) failed" : ""))
            }
        }
        progress.finish(stopping ? "sweep: stopped; \(done) of \(total) cells finished" : "sweep: \(done) of \(total) cells finished" + (failed > 0 ? ", \(failed) failed" : ""))
        return !stopping
    }
}
