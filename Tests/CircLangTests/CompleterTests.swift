import CircLang
import Testing

@Suite struct Completion {
    private func session() -> Session {
        let registry = Registry.standard()
        registry.register(section: "Test", [
            NativeFunction("dataset", [Parameter("task", .string, choices: ["swap", "reverse"]),
                                       Parameter("epochs", .number, default: .number(1))], doc: "Test.") { _, _ in .null },
        ])
        let session = Session(registry: registry, stdlibDirectory: nil, output: { _ in })
        try? session.run(SourceFile(name: "<t>", text: "result = {accuracy: 1, n: 2}\nmy_model = 1"))
        return session
    }

    @Test func completesBuiltinsVariablesAndKeywords() {
        let s = session()
        #expect(Completer.candidates(for: "pri", session: s) == ["print"])
        #expect(Completer.candidates(for: "x = my_", session: s) == ["my_model"])
        #expect(Completer.candidates(for: "whi", session: s) == ["while"])
    }

    @Test func completesKeywordArgumentsOfTheEnclosingCall() {
        #expect(Completer.candidates(for: "dataset(\"swap\", ep", session: session()) == ["epochs="])
    }

    @Test func completesTaskNamesInsideAString() {
        #expect(Completer.candidates(for: "dataset(\"sw", session: session()) == ["swap"])
    }

    @Test func completesFieldsOfAVariable() {
        #expect(Completer.candidates(for: "result.acc", session: session()) == ["accuracy"])
    }

    @Test func completesReplCommands() {
        #expect(Completer.candidates(for: ":he", session: session(), commands: [":help", ":vars"]) == ["help"])
    }
}
