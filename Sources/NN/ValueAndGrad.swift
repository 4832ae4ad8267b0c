import Tensors

/// Runs `body(model)` on a tape and returns its value with the gradient of every trainable parameter,
/// keyed by the dotted paths of `model.namedParameters()` (MLX's `valueAndGrad(model:)`).
/// A parameter used several times receives the sum of its gradients. `ready(key, gradient)` is told each
/// parameter's gradient during the backward pass as soon as it is final (`Tape.valueAndGradients`).
public func valueAndGrad<M: Module>(
    _ model: M, ready: ((String, Tensor) -> Void)? = nil, _ body: (M) throws -> Tensor
) rethrows -> (value: Tensor, gradients: [String: Tensor]) {
    let params = model.trainableParameters()
    let r = try Tape.valueAndGradients(wrt: params.map(\.tensor), ready: ready.map { ready in { ready(params[$0].key, $1) } }) { try body(model) }
    var grads: [String: Tensor] = [:]
    for (p, g) in zip(params, r.gradients) { grads[p.key] = g }
    return (r.value, grads)
}
