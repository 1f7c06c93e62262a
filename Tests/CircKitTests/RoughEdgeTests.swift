import CircLang
import Foundation
import Testing
@testable import CircKit

/// Issue 16: honest progress after a resume, file errors in plain words, and no silent nonsense
/// from settings that make no sense or a run that diverges.
@Suite struct RoughEdges {
    @Test func aResumedBarCountsOnlyThisRunsSteps() {
        // Resumed at 9,375 of 13,125 steps: the rate and ETA are made of this run's steps only.
        let bar = ProgressBar(title: "train", total: 13125, alreadyDone: 9375)
        #expect(bar.workThisRun(9385) == 10)
        #expect(bar.workThisRun(9375) == 0)
        #expect(ProgressBar(title: "eval", total: 100).workThisRun(50) == 50)
    }

    @Test func aNewPhaseCountsFromItsFirstReport() {
        // discover's scoring phase first reports 1 batch done: that batch ran before the phase's clock.
        let bar = ProgressBar(title: "discover copy", total: 16, unit: "epochs")
        bar.phase("discover copy: scoring", done: 1, total: 4, unit: "batches")
        #expect(bar.workThisRun(1) == 0 && bar.workThisRun(3) == 2)
        bar.phase("discover copy: scoring", done: 3, total: 4, unit: "batches")
        #expect(bar.workThisRun(4) == 3, "the same phase keeps its start")
    }

    @Test func aPlainBarSaysWhichUpdatesWouldBeSeen() {
        // Off a terminal a line is due at most every plainInterval and at the end: cs scores its
        // held-out faithfulness only for the epochs whose line is seen.
        let bar = ProgressBar(title: "discover copy", total: 40, unit: "epochs", plainInterval: 3600, terminal: false)
        #expect(bar.wouldShow(1), "the first line is due")
        bar.update(1, "loss 0.5")
        #expect(!bar.wouldShow(2), "the next is not, within the interval")
        #expect(bar.wouldShow(40), "the last always is")
        #expect(ProgressBar(title: "discover copy", total: 40, plainInterval: 3600, terminal: true).wouldShow(2), "a terminal sees every update")
    }

    @Test func fileErrorsNameThePathAndTheCauseInPlainWords() throws {
        let folder = NSTemporaryDirectory() + "circ-rough-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cases: [(code: String, message: String)] = [
            ("write(\"\", \"x\")", "write: cannot write a file with an empty path"),
            ("write(\"\(folder)\", \"x\")", "write: cannot write '\(folder)': it is a folder"),
            ("save(m, \"\(folder)\")", "save: cannot write '\(folder)': it is a folder"),
            ("save(m, \"\(folder)/m.safetensors/x.safetensors\")", "save: cannot write '\(folder)/m.safetensors/x.safetensors': cannot create the folder '\(folder)/m.safetensors': a file of that name is in the way"),
            ("save_dataset(dataset(\"copy\", n=2), \"\(folder)/m.safetensors/d.csv\")", "cannot write '\(folder)/m.safetensors/d.csv': cannot create the folder '\(folder)/m.safetensors': a file of that name is in the way"),
            ("train(dataset(\"copy\", n=20), layers=1, d=16, epochs=1, out=\"\(folder)/m.safetensors/m.safetensors\")",
             "train: cannot write '\(folder)/m.safetensors/m.safetensors': cannot create the folder '\(folder)/m.safetensors': a file of that name is in the way"),
            ("overlap([]).svg(\"\(folder)\")", "cannot write '\(folder)': it is a folder"),
            ("model(\"\(folder)/missing.safetensors\")", "\(folder)/missing.safetensors: no such file"),
        ]
        for (code, message) in cases {
            let result = circ("m = train(dataset(\"copy\", n=20), layers=1, d=16, epochs=1, out=\"\(folder)/m.safetensors\")\n" + code)
            let got = result.error?.message ?? "(no error)"
            #expect(got == message, "\(code)")
            #expect(!got.contains("NSCocoaErrorDomain") && !got.contains("Error Domain=") && !got.contains("NSUnderlyingError"), "\(got)")
        }
    }

    @Test func savesMakeTheFoldersAboveTheirFileAsWriteDoes() throws {
        let folder = NSTemporaryDirectory() + "circ-folders-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = circ("""
        m = train(dataset("copy", n=20), layers=1, d=16, epochs=1, out="\(folder)/a/m.safetensors")
        save(m, "\(folder)/b/c/m.safetensors"); save_dataset(dataset("copy", n=2), "\(folder)/d/e.csv"); write("\(folder)/f/g.txt", "x")
        """)
        #expect(result.error == nil, "\(String(describing: result.error))")
        for file in ["a/m.safetensors", "b/c/m.safetensors", "d/e.csv", "f/g.txt"] { #expect(FileManager.default.fileExists(atPath: "\(folder)/\(file)"), "\(file)") }
    }

    @Test func settingsThatMakeNoSenseAreRefused() {
        let model = "m = train(dataset(\"copy\", n=100), layers=1, d=16, epochs=1, out=\"\(NSTemporaryDirectory())rough-\(UUID().uuidString).safetensors\")\n"
        let cases: [(code: String, message: String)] = [
            ("discover(m, \"copy\", max_temp=0)", "discover: max_temp must be finite and at least 1 (the temperature rises from 1 to it), got 0"),
            ("discover(m, \"copy\", max_temp=-5)", "discover: max_temp must be finite and at least 1 (the temperature rises from 1 to it), got -5"),
            ("discover(m, \"copy\", lr=0)", "discover: lr must be a positive finite number, got 0"),
            ("discover(m, \"copy\", lambda=-1)", "discover: lambda must be a finite number of at least 0, got -1"),
            ("discover(m, \"copy\", lambda=1e308)", "discover: lambda 1e+308 is beyond the 32-bit float range (±3.4e38)"),
            ("discover(m, \"copy\", mask_init=1e39)", "discover: mask_init 1e+39 is beyond the 32-bit float range (±3.4e38)"),
            ("train(dataset(\"copy\", n=20), lr=-1)", "train: lr must be a positive finite number, got -1"),
            ("train(dataset(\"copy\", n=20), dropout=1)", "train: dropout must be in [0, 1), got 1.0"),
        ]
        for (code, message) in cases {
            #expect(circ(model + code).error?.message == message, "\(code)")
        }
    }

    @Test func aDivergingRunStopsWithADiagnosticAndBindsNothing() throws {
        let folder = NSTemporaryDirectory() + "circ-diverge-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let session = try CircLibrary.session(output: { _ in })
        #expect(throws: Diagnostic.self) {
            try session.run(SourceFile(name: "t.circ", text: "m = train(dataset(\"copy\", n=200), layers=1, d=16, epochs=2, batch=32, lr=1e30, out=\"\(folder)/m.safetensors\")"))
        }
        #expect(session.globals["m"] == nil)
        #expect(!FileManager.default.fileExists(atPath: folder + "/m.safetensors"))
        let trained = circ("m = train(dataset(\"copy\", n=200), layers=1, d=16, epochs=2, batch=32, lr=1e30, out=\"\(folder)/m.safetensors\")")
        #expect(trained.error?.message.hasPrefix("train: the loss or its gradient is not finite at step ") == true, "\(String(describing: trained.error))")
        #expect(trained.error?.message.contains("lr 1e+30 is likely too large") == true)
        try session.run(SourceFile(name: "t.circ", text: "ok = train(dataset(\"copy\", n=100), layers=1, d=16, epochs=1, out=\"\(folder)/ok.safetensors\")"))
        #expect(throws: Diagnostic.self) {
            try session.run(SourceFile(name: "t.circ", text: "c = discover(ok, \"copy\", lambda=1e30, n=64, epochs=2, cache=false)"))
        }
        #expect(session.globals["c"] == nil)
        let discovered = circ("m = train(dataset(\"copy\", n=100), layers=1, d=16, epochs=1, out=\"\(folder)/ok2.safetensors\")\ndiscover(m, \"copy\", lambda=1e30, n=64, epochs=2, cache=false)")
        #expect(discovered.error?.message == "discover: the loss or its gradient is not finite at step 1 (epoch 1): lambda 1e+30 is likely too large; no circuit was bound")
    }
}

/// Issue 31's small traps: datasets in the collection builtins and in slices, one alias table for
/// task names, and a model's own tasks named when this session lacks them.
@Suite struct SmallTraps {
    /// A fresh path for a model file, removed by the caller.
    private func modelPath() -> String { NSTemporaryDirectory() + "circ-traps-\(UUID().uuidString).safetensors" }

    @Test func datasetsSliceAndGoThroughTheCollectionBuiltins() {
        let result = circ("""
        d = dataset("copy", n=10)
        print(d[2:5], d[-3:] == dataset("copy", n=10)[7:], type(d[:]), len(d[20:]))
        long = filter(d, fn(s) { len(split(s.src)) > 3 })
        print(long, len(long) == len(filter(map(d, fn(s) { s }), fn(s) { len(split(s.src)) > 3 })))
        print(map(d[:2], fn(s) { s.tgt }) == [d[0].tgt, d[1].tgt], reversed(d)[0] == d[-1], type(sorted(d, key=fn(s) { s.src })))
        print(sum(map(d, fn(s) { len(split(s.tgt)) })) == sum(map(range(10), fn(i) { len(split(d[i].tgt)) })))
        """)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.output == "<dataset copy train: 3 samples> true dataset 0\n<dataset copy train: 8 samples> true\ntrue true dataset\ntrue")
    }

    @Test func theImportAnUnknownStdlibNameNamesProvidesIt() {
        let hint = circ("r = iou_vs_random").error?.hint ?? ""
        #expect(hint == "iou_vs_random is defined in stdlib/analysis.circ: import \"analysis.circ\"")
        #expect(circ(String(hint.split(separator: ": ").last ?? "") + "\nprint(type(iou_vs_random))").output == "function")
    }

    @Test func anAliasIsReadAsTheFunctionsOwnTokenEverywhere() {
        let path = modelPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = circ("""
        m = train(dataset("swap", n=64), layers=1, d=16, epochs=1, batch=32, out="\(path)")
        print(pcfg("swap A1 B1 C1"), predict(m, "swap A1 B1 C1") == predict(m, "swap_first_last A1 B1 C1"))
        """)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.output.hasSuffix("C1 B1 A1 true"))
    }

    @Test func aTaskTheModelKnowsButThisSessionLacksIsExplained() {
        // A model trained on a function defined with task() keeps its name in the vocabulary; a new session
        // does not know it. (Registered names are process-wide, so the data here writes the name directly.)
        let path = modelPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let train = """
        mine = dataset(map(range(64), fn(i) { {src: "mirror_t31 A1 B1", tgt: "A1 B1 B1 A1"} }))
        m = train(mine, layers=1, d=16, epochs=1, batch=32, out="\(path)")

        """
        for call in ["eval(m, \"reverse_then_mirror_t31\")", "discover(m, \"mirror_t31\")"] {
            let error = circ(train + call).error
            #expect(error?.message == "unknown task \"\(call.contains("reverse") ? "reverse_then_mirror_t31" : "mirror_t31")\": "
                    + "mirror_t31 was defined with task() when this model was trained, and is not defined in this session", "\(call)")
            #expect(error?.hint == "run its task(\"mirror_t31\", …) again first; the model's tasks: the ten of PCFG SET and mirror_t31")
        }
    }
}
