import NN
import Tensors

/// What every optimizer keeps about its parameters: the module's parameters (each tensor once, under its
/// first dotted key) and, per parameter that has been updated, named state buffers of the parameter's
/// shape plus a step count. Saved as `<buffer>.<key>` and `step.<key>` (a Float32 scalar, as in PyTorch).
final class ParameterStates {
    let parameters: [(key: String, tensor: Tensor)]
    /// Every key of the module, shared duplicates included (their gradients are not applied twice).
    let knownKeys: Set<String>
    let bufferNames: [String]
    let savesStep: Bool
    /// Per parameter: its buffers (nil until its first update).
    var buffers: [[Tensor]?]
    var steps: [Int]

    init(_ module: Module, bufferNames: [String], savesStep: Bool) {
        var seen = Set<ObjectIdentifier>()
        let all = module.namedParameters()
        parameters = all.filter { seen.insert(ObjectIdentifier($0.tensor)).inserted }
        knownKeys = Set(all.map(\.key))
        self.bufferNames = bufferNames
        self.savesStep = savesStep
        buffers = Array(repeating: nil, count: parameters.count)
        steps = Array(repeating: 0, count: parameters.count)
    }

    /// Calls `body(index, parameter, gradient)` for every parameter that has a gradient.
    func forEachGradient(_ gradients: [String: Tensor], op: String, _ body: (Int, Tensor, Tensor) -> Void) {
        for key in gradients.keys {
            precondition(knownKeys.contains(key), "\(op).step: gradient '\(key)' is not a parameter of the module")
        }
        for (i, p) in parameters.enumerated() {
            guard let g = gradients[p.key] else { continue }
            precondition(g.shape == p.tensor.shape, "\(op).step: gradient '\(p.key)' has shape \(g.shape), parameter \(p.tensor.shape)")
            body(i, p.tensor, g)
        }
    }

    /// The buffers of parameter `i`, created as zeros on first use.
    func buffers(_ i: Int) -> [Tensor] {
        if let b = buffers[i] { return b }
        let b = bufferNames.map { _ in Tensor(zeros: parameters[i].tensor.shape) }
        buffers[i] = b
        return b
    }

    func stateDict() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (i, p) in parameters.enumerated() {
            guard let b = buffers[i] else { continue }
            for (name, t) in zip(bufferNames, b) { out["\(name).\(p.key)"] = t }
            if savesStep { out["step.\(p.key)"] = Tensor(Float(steps[i])) }
        }
        return out
    }

    /// Replaces the state by `dict`'s (validated first: all of a parameter's keys or none of them).
    func load(_ dict: [String: Tensor]) throws {
        var error = OptimizerStateError()
        var known = Set<String>()
        var newBuffers: [[Tensor]?] = Array(repeating: nil, count: parameters.count)
        var newSteps = Array(repeating: 0, count: parameters.count)
        for (i, p) in parameters.enumerated() {
            let stepKey = "step.\(p.key)"
            let keys = bufferNames.map { "\($0).\(p.key)" } + (savesStep ? [stepKey] : [])
            known.formUnion(keys)
            let present = keys.filter { dict[$0] != nil }
            if present.isEmpty { continue }
            error.missing += keys.filter { dict[$0] == nil }
            var values: [Tensor] = []
            for key in keys.prefix(bufferNames.count) {
                guard let t = dict[key] else { continue }
                if t.shape != p.tensor.shape {
                    error.mismatched.append((key, expected: p.tensor.shape, found: t.shape))
                } else {
                    values.append(t.copy())
                }
            }
            if values.count == bufferNames.count { newBuffers[i] = values }
            if savesStep, let s = dict[stepKey] {
                if s.count != 1 {
                    error.mismatched.append((stepKey, expected: [], found: s.shape))
                } else if s.item < 1 || s.item != s.item.rounded() {
                    error.invalid.append((stepKey, "step count \(s.item) is not a positive integer"))
                } else {
                    newSteps[i] = Int(s.item)
                }
            }
        }
        error.unexpected = dict.keys.filter { !known.contains($0) }.sorted()
        guard error.isEmpty else { throw error }
        buffers = newBuffers
        steps = newSteps
    }
}
