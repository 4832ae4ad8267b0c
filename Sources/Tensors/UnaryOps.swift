import Foundation

/// Element-wise unary ops and activations: neg, exp, log, sqrt, pow, relu, gelu, tanh, sigmoid.

/// Forward kernel shared by the unary ops: `out[i] = f(x[i])`, split across cores when large.
@inline(__always)
func mapUnary(_ x: Tensor, _ f: (Float) -> Float) -> Tensor {
    let out = Tensor(uninitialized: x.shape)
    let o = out.mutableData, p = x.data
    Parallel.forEach(x.count) { r in for i in r { o[i] = f(p[i]) } }
    return out
}

/// Backward kernel shared by the unary ops: `gx[i] = g[i] · d(x[i], y[i])`.
@inline(__always)
func mapUnaryBackward(_ g: Tensor, _ x: Tensor, _ y: Tensor, _ d: (Float, Float) -> Float) -> Tensor {
    let out = Tensor(uninitialized: x.shape)
    let o = out.mutableData, pg = g.data, px = x.data, py = y.data
    Parallel.forEach(x.count) { r in for i in r { o[i] = pg[i] * d(px[i], py[i]) } }
    return out
}

public func neg(_ x: Tensor) -> Tensor {
    let out = mapUnary(x) { -$0 }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in [neg(g)] }
}

public func exp(_ x: Tensor) -> Tensor {
    let out = mapUnary(x) { Foundation.exp($0) }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in [mapUnaryBackward(g, x, out) { _, y in y }] }
}

public func log(_ x: Tensor) -> Tensor {
    let out = mapUnary(x) { Foundation.log($0) }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in [mapUnaryBackward(g, x, out) { x, _ in 1 / x }] }
}

public func sqrt(_ x: Tensor) -> Tensor {
    let out = mapUnary(x) { $0.squareRoot() }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in [mapUnaryBackward(g, x, out) { _, y in 0.5 / y }] }
}

/// `x ** exponent` element-wise.
public func pow(_ x: Tensor, _ exponent: Float) -> Tensor {
    let out = mapUnary(x) { Foundation.pow($0, exponent) }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in
        [mapUnaryBackward(g, x, out) { x, _ in exponent * Foundation.pow(x, exponent - 1) }]
    }
}

/// `max(x, 0)` as torch.relu: NaN stays NaN (never silently 0) and -0 stays -0; the gradient is 0 where
/// x ≤ 0 and passes elsewhere, NaN included (PyTorch's threshold_backward).
/// Both run 16 lanes at a time (a closure passed through `mapUnary` is called per element, unvectorised).
public func relu(_ x: Tensor) -> Tensor {
    let out = Tensor(uninitialized: x.shape)
    let o = out.mutableData, p = x.data
    Parallel.forEach(x.count) { r in
        Vector.forEach(r, { j in
            let v = Vector.load(p, j)
            Vector.store(v.replacing(with: 0, where: v .< 0), o, j)
        }, { j in o[j] = p[j] < 0 ? 0 : p[j] })
    }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in
        let gx = Tensor(uninitialized: x.shape)
        let o = gx.mutableData, pg = g.data, p = x.data
        Parallel.forEach(x.count) { r in  // g · (x ≤ 0 ? 0 : 1): the product keeps g's NaN and sign of zero
            Vector.forEach(r, { j in
                let one = Vector.V(repeating: 1)
                Vector.store(Vector.load(pg, j) * one.replacing(with: 0, where: Vector.load(p, j) .<= 0), o, j)
            }, { j in o[j] = pg[j] * (p[j] <= 0 ? 0 : 1) })
        }
        return [gx]
    }
}

public func tanh(_ x: Tensor) -> Tensor {
    let out = mapUnary(x) { Foundation.tanh($0) }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in [mapUnaryBackward(g, x, out) { _, y in 1 - y * y }] }
}

public func sigmoid(_ x: Tensor) -> Tensor {
    let out = mapUnary(x) { 1 / (1 + Foundation.exp(-$0)) }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in [mapUnaryBackward(g, x, out) { _, y in y * (1 - y) }] }
}

/// How GELU is computed: the exact erf form or PyTorch's `approximate="tanh"` form.
public enum GELUApproximation: Sendable { case none, tanh }

/// GELU activation, `x · Φ(x)`; `.tanh` is PyTorch's `approximate="tanh"`.
public func gelu(_ x: Tensor, approximate: GELUApproximation = .none) -> Tensor {
    let k: Float = 0.7978845608028654  // sqrt(2/pi)
    let out: Tensor
    switch approximate {
    case .none: out = geluErfForward(x)
    case .tanh: out = mapUnary(x) { 0.5 * $0 * (1 + Foundation.tanh(k * ($0 + 0.044715 * $0 * $0 * $0))) }
    }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in
        switch approximate {
        case .none:
            return [mapUnaryBackward(g, x, out) { x, _ in
                0.5 * (1 + Foundation.erf(x * 0.7071067811865476)) + x * 0.3989422804014327 * Foundation.exp(-0.5 * x * x)
            }]
        case .tanh:
            return [mapUnaryBackward(g, x, out) { x, _ in
                let t = Foundation.tanh(k * (x + 0.044715 * x * x * x))
                return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x)
            }]
        }
    }
}
