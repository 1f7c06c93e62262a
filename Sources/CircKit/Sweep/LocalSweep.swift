import CircLang
import Foundation

extension SweepFolder {
    /// Runs the unfinished cells as `jobs` local circ processes at a time, with a progress bar over
    /// cells; false when Ctrl-C stopped the run (the running cells stop and are rerun on resume;
    /// finished ones are kept).
    public func runLocally(executable: String, jobs: Int) -> Bool {
        let jobs = max(1, jobs)
        var queue = unfinished()
        let total = cells.count, cores = ProcessInfo.processInfo.activeProcessorCount
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
                process.arguments = ["sweep-cell", path, String(index)]
                process.environment = environment
                do { try process.run() } catch {
                    markFailed(index, "cannot start \(executable): \(error.localizedDescription)")
                    failed += 1
                    continue
                }
                running[index] = process
            }
            usleep(50_000)
            for (index, process) in running where !process.isRunning {
                running[index] = nil
                if case .finished = state(index) { done += 1 } else if !stopping { failed += 1 }
                progress.update(done, "\(running.count) running" + (failed > 0 ? ", \(failed) failed" : ""))
            }
        }
        progress.finish(stopping ? "sweep: stopped; \(done) of \(total) cells finished" : "sweep: \(done) of \(total) cells finished" + (failed > 0 ? ", \(failed) failed" : ""))
        return !stopping
    }
}
