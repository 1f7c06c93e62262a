import CircLang
import Foundation

/// Runs a sweep's unfinished cells as a Slurm array job: OUT/slurm/job.sbatch, one array task
/// per cell, submitted with sbatch and followed with squeue until it ends. The cells share
/// $CIRC_CACHE, whose entries are written to a temporary file and renamed, so cells on several
/// machines may write the same entry at once and no lock is ever left behind.
public struct SlurmSweep {
    /// What the job asks of Slurm.
    public struct Request {
        /// `--partition`, if given.
        public var partition: String?
        /// `--time` (e.g. 00:20:00), if given.
        public var time: String?
        /// `--mem` (e.g. 4G), if given.
        public var memory: String?
        /// `--cpus-per-task`; the cell's engine uses that many threads.
        public var cpusPerTask: Int
        /// Extra `#SBATCH` lines, as given (e.g. `--account=lab`).
        public var extra: [String]
        /// A request with defaults.
        public init(partition: String? = nil, time: String? = nil, memory: String? = nil, cpusPerTask: Int = 2, extra: [String] = []) {
            (self.partition, self.time, self.memory, self.cpusPerTask, self.extra) = (partition, time, memory, cpusPerTask, extra)
        }
    }

    /// The sweep.
    public let folder: SweepFolder
    /// The circ executable the cells run (on a shared filesystem, as the folder must be).
    public let executable: String
    /// The job's resources.
    public let request: Request

    /// A runner for a sweep folder.
    public init(folder: SweepFolder, executable: String, request: Request) {
        self.folder = folder
        self.executable = executable
        self.request = request
    }

    /// The batch script for these cells.
    public func jobScript(cells: [Int]) -> String {
        let out = absolute(folder.path)
        var lines = ["#!/bin/bash", "# Written by circ sweep: one array task per unfinished cell of \(out).",
                     "#SBATCH --job-name=circ-sweep", "#SBATCH --array=\(Self.arraySpec(cells))",
                     "#SBATCH --output=\(out)/slurm/%A_%a.out", "#SBATCH --cpus-per-task=\(request.cpusPerTask)"]
        if let partition = request.partition { lines.append("#SBATCH --partition=\(partition)") }
        if let time = request.time { lines.append("#SBATCH --time=\(time)") }
        if let memory = request.memory { lines.append("#SBATCH --mem=\(memory)") }
        lines += request.extra.map { "#SBATCH \($0)" }
        lines += ["export CIRC_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"",
                  "exec \(Self.quoted(executable)) sweep-cell \(Self.quoted(out)) \"$SLURM_ARRAY_TASK_ID\""]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes OUT/slurm/job.sbatch for the unfinished cells; its path, and the cells.
    public func writeJobScript() throws(SweepError) -> (path: String, cells: [Int]) {
        let cells = folder.unfinished()
        try folder.write(jobScript(cells: cells), to: "slurm/job.sbatch")
        return (folder.path + "/slurm/job.sbatch", cells)
    }

    /// Submits the unfinished cells (or follows the job a previous run submitted, if it is still
    /// queued or running) until the job ends; false when Ctrl-C stopped the following.
    public func run() throws(SweepError) -> Bool {
        let jobFile = "slurm/job_id"
        var job = (try? String(contentsOfFile: folder.path + "/" + jobFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let previous = job, (Self.activeTasks(previous) ?? 0) == 0 { job = nil }
        if job == nil {
            let (script, cells) = try writeJobScript()
            guard !cells.isEmpty else { return true }
            let submitted = Self.command(["sbatch", "--parsable", script])
            guard submitted.status == 0, let id = submitted.out.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }), !id.isEmpty else {
                throw SweepError("sbatch failed: \((submitted.err + submitted.out).trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            try folder.write(id + "\n", to: jobFile)
            FileHandle.standardError.write(Data("sweep: submitted Slurm job \(id) (\(cells.count) cells, \(script))\n".utf8))
            job = id
        } else if let job {
            FileHandle.standardError.write(Data("sweep: following Slurm job \(job), submitted by an earlier run\n".utf8))
        }
        guard let job else { return true }
        return follow(job)
    }

    /// Shows progress over cells while the job has tasks in the queue; false on Ctrl-C.
    private func follow(_ job: String) -> Bool {
        let total = folder.cells.count
        let progress = ProgressBar(title: "sweep (Slurm job \(job))", total: total, unit: "cells", alreadyDone: total - folder.unfinished().count, plainInterval: 30)
        // squeue failing now and then (a busy controller) is not the end of the job: only an empty
        // listing, or ten failures in a row, is.
        var failures = 0
        while failures < 10 {
            if Interrupt.isRequested {
                progress.finish("sweep: stopped following; job \(job) goes on. Rerun the same command to follow and collect it, or scancel \(job)")
                return false
            }
            if let tasks = Self.activeTasks(job) {
                if tasks == 0 { break }
                failures = 0
                progress.update(total - folder.unfinished().count, "\(tasks) queued or running")
            } else {
                failures += 1
            }
            for _ in 0..<20 where !Interrupt.isRequested { usleep(100_000) }
        }
        let left = folder.unfinished()
        for index in left where folder.isPending(index) {
            let log = "\(absolute(folder.path))/slurm/\(job)_\(index).out"
            folder.markFailed(index, "Slurm task \(job)_\(index) ended without a result (killed, timed out or never started); see \(log)")
        }
        progress.finish("sweep: Slurm job \(job) ended; \(total - left.count) of \(total) cells finished")
        try? FileManager.default.removeItem(atPath: folder.path + "/slurm/job_id")
        return true
    }

    /// How many of the job's tasks squeue lists: 0 once the job has left the queue (or Slurm has
    /// forgotten it); nil when squeue failed.
    static func activeTasks(_ job: String) -> Int? {
        let listed = command(["squeue", "-h", "-r", "-j", job, "-o", "%i"])
        if listed.err.contains("Invalid job id") { return 0 }
        guard listed.status == 0 else { return nil }
        return listed.out.split(separator: "\n").count
    }

    /// `0-3,5,7-8` for cells 0,1,2,3,5,7,8.
    static func arraySpec(_ cells: [Int]) -> String {
        var parts: [String] = [], start = 0
        let sorted = cells.sorted()
        while start < sorted.count {
            var end = start
            while end + 1 < sorted.count, sorted[end + 1] == sorted[end] + 1 { end += 1 }
            parts.append(end == start ? "\(sorted[start])" : "\(sorted[start])-\(sorted[end])")
            start = end + 1
        }
        return parts.joined(separator: ",")
    }

    /// Runs a command found on the PATH; its status and output (status 127 when it is missing).
    static func command(_ arguments: [String]) -> (status: Int32, out: String, err: String) {
        let process = Process(), out = Pipe(), err = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        (process.standardOutput, process.standardError) = (out, err)
        do { try process.run() } catch { return (127, "", "cannot run \(arguments[0]): \(error.localizedDescription)") }
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output, errors)
    }

    private func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    private static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
