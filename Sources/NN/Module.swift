import Tensors

/// Base class of every layer: named parameters, buffers and sub-modules, discovered through dotted
/// PyTorch `state_dict` keys (`attention.in_proj_weight`, `projection.0.bias`), train/eval mode and freezing.
///
/// Subclasses register what they own in `init`, under the name PyTorch uses:
/// `register(parameter: "weight", weight)`, `register(module: "out_proj", outProj)`.
open class Module {
    public private(set) var isTraining = true
    private var ownParameters: [(name: String, tensor: Tensor)] = []
    private var ownBuffers: [(name: String, tensor: Tensor)] = []
    private var children: [(name: String, module: Module)] = []

    public init() {}

    /// Registers a trainable parameter (sets `requiresGrad`).
    public func register(parameter name: String, _ tensor: Tensor) {
        tensor.requiresGrad = true
        ownParameters.append((name, tensor))
    }

    /// Registers non-trainable state saved in the state dict (e.g. running statistics).
    public func register(buffer name: String, _ tensor: Tensor) { ownBuffers.append((name, tensor)) }

    /// Registers a sub-module; its keys are prefixed with `name.`.
    public func register(module name: String, _ module: Module) { children.append((name, module)) }

    /// Every parameter with its dotted key, in registration order (frozen ones included).
    public func namedParameters() -> [(key: String, tensor: Tensor)] {
        ownParameters.map { ($0.name, $0.tensor) }
            + children.flatMap { c in c.module.namedParameters().map { ("\(c.name).\($0.key)", $0.tensor) } }
    }

    /// Parameters by dotted key.
    public func parameters() -> [String: Tensor] {
        Dictionary(namedParameters().map { ($0.key, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    }

    /// Parameters that receive gradients (not frozen), by dotted key.
    public func trainableParameters() -> [(key: String, tensor: Tensor)] {
        namedParameters().filter { $0.tensor.requiresGrad }
    }

    /// Every buffer with its dotted key.
    public func namedBuffers() -> [(key: String, tensor: Tensor)] {
        ownBuffers.map { ($0.name, $0.tensor) }
            + children.flatMap { c in c.module.namedBuffers().map { ("\(c.name).\($0.key)", $0.tensor) } }
    }

    /// Sub-modules with their dotted paths (this module first, as "").
    public func namedModules() -> [(key: String, module: Module)] {
        [("", self)] + children.flatMap { c in
            c.module.namedModules().map { ($0.key.isEmpty ? c.name : "\(c.name).\($0.key)", $0.module) }
        }
    }

    /// Parameters and buffers by PyTorch `state_dict` key.
    public func stateDict() -> [String: Tensor] {
        Dictionary((namedParameters() + namedBuffers()).map { ($0.key, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    }

    /// Copies values from a PyTorch-style state dict into this module's tensors (in place, identities kept).
    /// With `strict` (default) every key must match; the error names every missing, unexpected and
    /// mis-shaped key. Non-strict loading still refuses mis-shaped keys.
    public func loadStateDict(_ dict: [String: Tensor], strict: Bool = true) throws {
        let own = namedParameters() + namedBuffers()
        let ownKeys = Set(own.map(\.key))
        var error = StateDictError()
        for (key, tensor) in own {
            guard let value = dict[key] else { error.missing.append(key); continue }
            if value.shape != tensor.shape { error.mismatched.append((key, expected: tensor.shape, found: value.shape)) }
        }
        error.unexpected = dict.keys.filter { !ownKeys.contains($0) }.sorted()
        if !error.mismatched.isEmpty || (strict && (!error.missing.isEmpty || !error.unexpected.isEmpty)) {
            throw error
        }
        for (key, tensor) in own { if let value = dict[key] { tensor.assign(value) } }
    }

    /// Switches this module and all sub-modules to training (dropout on, batch statistics) or evaluation.
    public func train(_ on: Bool = true) {
        for (_, m) in namedModules() { m.isTraining = on }
    }

    /// Evaluation mode: `train(false)`.
    public func eval() { train(false) }

    /// Stops gradients for every parameter (or those whose key starts with one of `prefixes`).
    public func freeze(_ prefixes: [String] = []) { setTrainable(false, prefixes) }

    /// Undoes `freeze`.
    public func unfreeze(_ prefixes: [String] = []) { setTrainable(true, prefixes) }

    private func setTrainable(_ on: Bool, _ prefixes: [String]) {
        for (key, t) in namedParameters() where prefixes.isEmpty || prefixes.contains(where: { key.hasPrefix($0) }) {
            t.requiresGrad = on
        }
    }

    /// Total number of parameter elements (shared tensors counted once).
    public var parameterCount: Int {
        var seen = Set<ObjectIdentifier>()
        return namedParameters().reduce(0) { acc, p in seen.insert(ObjectIdentifier(p.tensor)).inserted ? acc + p.tensor.count : acc }
    }
}

/// A state dict that does not fit a module: every missing, unexpected and mis-shaped key.
public struct StateDictError: Error, CustomStringConvertible, Equatable {
    public var missing: [String] = []
    public var unexpected: [String] = []
    public var mismatched: [(key: String, expected: [Int], found: [Int])] = []

    public static func == (a: Self, b: Self) -> Bool { a.description == b.description }

    public var description: String {
        var lines = ["state dict does not match the module:"]
        if !missing.isEmpty { lines.append("  missing keys: \(missing.joined(separator: ", "))") }
        if !unexpected.isEmpty { lines.append("  unexpected keys: \(unexpected.joined(separator: ", "))") }
        for m in mismatched { lines.append("  \(m.key): expected shape \(m.expected), found \(m.found)") }
        lines.append("  fix: load a checkpoint saved from the same architecture, or pass strict: false to skip missing/unexpected keys")
        return lines.joined(separator: "\n")
    }
}
