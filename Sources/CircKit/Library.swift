import CircLang
import PCFG
import Foundation

/// Assembles circ: the language's builtins plus those of every engine module.
public enum CircLibrary {
    /// The registry of every builtin circ offers.
    public static func registry() -> Registry {
        let registry = Registry.standard()
        registry.register(section: "PCFG SET", PCFGBuiltins.make())
        registry.register(section: "Models", EngineBuiltins.make())
        registry.register(section: "Circuits", CircuitBuiltins.make() + [MatrixValue.builtin(), FaithfulnessCurves.builtin()])
        registry.register(section: "Ground truth", TracrBuiltins.make())
        registry.register(section: "Inspection", InspectBuiltins.make() + [PlotValue.builtin()])
        registry.register(section: "Sweeps", SweepCell.builtins())
        registry.register(section: "Core", [MemoryBuiltin.make()])
        registry.moreChoices = { CustomFunctions.names }
        return registry
    }

    /// A ready session: builtins registered, `args` empty, stdlib located, prelude loaded.
    public static func session(output: @escaping (String) -> Void = { print($0) }) throws(Diagnostic) -> Session {
        let session = Session(registry: registry(), stdlibDirectory: Resources.stdlibDirectory(), output: output)
        session.globals.define("args", .list([]))
        try session.loadPrelude()
        return session
    }
}

/// Finds circ's own files (stdlib, models) from any working directory.
public enum Resources {
    /// The folder holding `prelude.circ`: `$CIRC_STDLIB`, else found upward from the executable, else the installed share folder.
    public static func stdlibDirectory() -> String? {
        if let path = ProcessInfo.processInfo.environment["CIRC_STDLIB"] { return path }
        return projectRoot().map { $0 + "/stdlib" }
    }

    /// The repository or install root: the nearest folder above the executable that holds `stdlib/prelude.circ`
    /// (a build lives in `.build/<config>/`), else `<prefix>/share/circ` beside an installed binary.
    public static func projectRoot() -> String? {
        var url = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        if let executable = Bundle.main.executableURL { url = executable.resolvingSymlinksInPath().deletingLastPathComponent() }
        for _ in 0..<6 {
            if FileManager.default.fileExists(atPath: url.path + "/stdlib/prelude.circ") { return url.path }
            let share = url.path + "/share/circ"
            if FileManager.default.fileExists(atPath: share + "/stdlib/prelude.circ") { return share }
            url.deleteLastPathComponent()
        }
        let cwd = FileManager.default.currentDirectoryPath
        return FileManager.default.fileExists(atPath: cwd + "/stdlib/prelude.circ") ? cwd : nil
    }
}
