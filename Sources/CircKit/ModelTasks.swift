import CircLang
import PCFG

/// The tasks a model knows beyond PCFG SET's ten. Functions defined with `task()` live only in the
/// session that defined them, but a model trained on them keeps their names in its vocabulary: the
/// tokens beyond PCFG SET's are exactly the new functions and symbols of its training data.
enum ModelTasks {
    /// The functions a model was trained on beyond PCFG SET's: its vocabulary's extra tokens that are function names.
    static func extraFunctions(of model: ModelValue) -> [String] {
        model.sourceVocabulary.tokens.filter { !Vocabulary.pcfg.contains($0) && CustomFunctions.isName($0) }
    }

    /// Refuses a task name in `data` (a name or a list holding names) that names a function the model of
    /// `target` (a model, a circuit, or a list of them) was trained on but this session has not defined:
    /// the error says it was defined with `task()` and names the model's tasks. Other data passes unchecked.
    static func check(_ data: Value, for target: Value) throws {
        switch target {
        case .list(let items): for item in items { try check(data, for: item) }
        case .native(let model as ModelValue): try check(data, model)
        case .native(let circuit as CircuitValue): if let model = circuit.model as? ModelValue { try check(data, model) }
        default: return
        }
    }

    private static func check(_ data: Value, _ model: ModelValue) throws {
        switch data {
        case .list(let items):
            for item in items { try check(item, model) }
        case .string(let name):
            do { _ = try PCFGTask(name: name) } catch {
                let extra = extraFunctions(of: model)
                guard case .unknownTask(_, let part) = error, extra.contains(part) else { return }
                throw RuntimeError("unknown task \"\(name)\": \(part) was defined with task() when this model was trained, and is not defined in this session",
                                   hint: "run its task(\"\(part)\", …) again first; the model's tasks: the ten of PCFG SET and \(extra.joined(separator: ", "))")
            }
        default: return
        }
    }
}
