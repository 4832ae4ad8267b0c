/// Reverse-mode autodiff: ops record a node on the active tape while a differentiated closure runs.
///
/// Outside such a closure (inference, optimizer updates) nothing is recorded and ops cost nothing extra.
/// A tensor used by several ops receives the sum of their gradients.
public final class Tape {
    struct Node {
        let output: Tensor
        let inputs: [Tensor]
        let backward: (Tensor) -> [Tensor?]
        let op: StaticString
    }

    nonisolated(unsafe) static var current: Tape?
    private var nodes: [Node] = []

    /// True when an op with these inputs must record itself (a tape is active and an input needs grad).
    @inline(__always)
    public static func isRecording(_ inputs: Tensor...) -> Bool {
        current != nil && inputs.contains { $0.requiresGrad }
    }

    /// True when an op with these inputs must record itself.
    @inline(__always)
    public static func isRecording(_ inputs: [Tensor]) -> Bool {
        current != nil && inputs.contains { $0.requiresGrad }
    }

    /// Records `output = op(inputs)` with its vector–Jacobian product `backward(gradOutput) -> [gradInput]`
    /// (one entry per input, nil for no gradient). Does nothing when not recording. Returns `output`. `op`
    /// names the op in an `OpProfile` (the recording function's name).
    @discardableResult @inline(__always)
    public static func record(
        _ output: Tensor, inputs: [Tensor], op: StaticString = #function, backward: @escaping (Tensor) -> [Tensor?]
    ) -> Tensor {
        guard let tape = current, inputs.contains(where: { $0.requiresGrad }) else { return output }
        output.requiresGrad = true
        tape.nodes.append(Node(output: output, inputs: inputs, backward: backward, op: op))
        OpProfile.active?.forwardDone(op)
        return output
    }

    /// Runs `body` with recording switched off (inference, updates).
    public static func withoutRecording<R>(_ body: () throws -> R) rethrows -> R {
        let saved = current
        current = nil
        defer { current = saved }
        return try body()
    }

    /// Runs `body` on a fresh tape and returns its value with the gradients of that value with respect to
    /// `sources` (zeros for a source the value does not depend on). The seed gradient is ones. `ready(i, g)` is
    /// called during the backward pass as soon as source i's gradient is final (every op that used it has been
    /// differentiated), so work on early gradients — a data-parallel allreduce — can start while later ones are
    /// still being computed.
    public static func valueAndGradients(
        wrt sources: [Tensor], ready: ((Int, Tensor) -> Void)? = nil, _ body: () throws -> Tensor
    ) rethrows -> (value: Tensor, gradients: [Tensor]) {
        let tape = Tape()
        let saved = current
        current = tape
        let value: Tensor
        do {
            defer { current = saved }
            value = try body()
        }
        let grads = withoutRecording { tape.backpropagate(from: value, to: sources, ready: ready) }
        return (value.detached(), grads)
    }

    private func backpropagate(from value: Tensor, to sources: [Tensor], ready: ((Int, Tensor) -> Void)?) -> [Tensor] {
        // Each tensor's gradient contributions, summed only when the gradient is needed: one pass over all of
        // them instead of one new tensor per extra use (a weight shared by four ops: one sum, not three).
        var parts: [ObjectIdentifier: [Tensor]] = [ObjectIdentifier(value): [Tensor(shape: value.shape, repeating: 1)]]
        let profile = OpProfile.active
        func gradient(_ id: ObjectIdentifier) -> Tensor? {
            guard let list = parts[id] else { return nil }
            if list.count == 1 { return list[0] }
            let started = profile?.now()
            let total = sumInOrder(list)
            if let profile, let started { profile.add(backward: "gradient accumulation", since: started) }
            parts[id] = [total]
            return total
        }
        let keep = Set(sources.map(ObjectIdentifier.init))
        // For `ready`: each source's uses still to differentiate; a source is final when they reach 0.
        var uses: [ObjectIdentifier: Int] = [:], sourceIndex: [ObjectIdentifier: [Int]] = [:]
        if ready != nil {
            for (i, source) in sources.enumerated() { sourceIndex[ObjectIdentifier(source), default: []].append(i) }
            for node in nodes { for input in node.inputs where sourceIndex[ObjectIdentifier(input)] != nil { uses[ObjectIdentifier(input), default: 0] += 1 } }
            for (id, indices) in sourceIndex where uses[id] == nil { for i in indices { ready!(i, gradient(id) ?? Tensor(zeros: sources[i].shape)) } }
        }
        for node in nodes.reversed() {
            defer {
                if let ready {
                    for input in node.inputs {
                        let id = ObjectIdentifier(input)
                        guard let left = uses[id] else { continue }
                        uses[id] = left - 1
                        if left == 1 { for i in sourceIndex[id]! { ready(i, gradient(id) ?? Tensor(zeros: sources[i].shape)) } }
                    }
                }
            }
            let outID = ObjectIdentifier(node.output)
            guard let g = gradient(outID) else { continue }
            if !keep.contains(outID) { parts[outID] = nil }
            let started = profile?.now()
            let inputGrads = node.backward(g)
            if let profile, let started { profile.add(backward: node.op, since: started) }
            precondition(inputGrads.count == node.inputs.count, "Tape: backward returned \(inputGrads.count) gradients for \(node.inputs.count) inputs")
            for (input, gi) in zip(node.inputs, inputGrads) where input.requiresGrad {
                guard let gi else { continue }
                precondition(gi.shape == input.shape, "Tape: gradient shape \(gi.shape) for input of shape \(input.shape)")
                parts[ObjectIdentifier(input), default: []].append(gi)
            }
        }
        nodes.removeAll()
        return sources.map { gradient(ObjectIdentifier($0)) ?? Tensor(zeros: $0.shape) }
    }
}

/// The element-wise sum of same-shaped `tensors` in list order, ((t₀ + t₁) + t₂) + …, the very values repeated
/// `add`s give, in one pass (cache-sized blocks, split across cores).
private func sumInOrder(_ tensors: [Tensor]) -> Tensor {
    let out = Tensor(uninitialized: tensors[0].shape)
    let o = out.mutableData, sources = tensors.map(\.data)
    Parallel.forEach(out.count) { range in
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(start + 4096, range.upperBound), p0 = sources[0], p1 = sources[1]
            for i in start..<end { o[i] = p0[i] + p1[i] }
            for p in sources.dropFirst(2) { for i in start..<end { o[i] += p[i] } }
            start = end
        }
    }
    return withExtendedLifetime(tensors) { out }
}

/// Gradient of a scalar function of one tensor: `grad(f)(x)` = ∂f/∂x.
public func grad(_ f: @escaping (Tensor) -> Tensor) -> (Tensor) -> Tensor {
    { x in valueAndGrad(f)(x).1 }
}

/// Value and gradient of a scalar function of one tensor.
public func valueAndGrad(_ f: @escaping (Tensor) -> Tensor) -> (Tensor) -> (Tensor, Tensor) {
    { x in
        let v = valueAndGrad { (xs: [Tensor]) in f(xs[0]) }([x])
        return (v.0, v.1[0])
    }
}

/// Value and gradients of a function of several tensors, one gradient per argument.
public func valueAndGrad(_ f: @escaping ([Tensor]) -> Tensor) -> ([Tensor]) -> (Tensor, [Tensor]) {
    { xs in valueAndGrad(at: xs, f) }
}

/// Evaluates `f(xs)` and its gradient with respect to each of `xs` (which are not modified).
public func valueAndGrad(at xs: [Tensor], _ f: ([Tensor]) throws -> Tensor) rethrows -> (Tensor, [Tensor]) {
    let leaves = xs.map { Tensor(shape: $0.shape, storage: $0.storage, requiresGrad: true) }
    let r = try Tape.valueAndGradients(wrt: leaves) { try f(leaves) }
    return (r.value, r.gradients)
}
