/// Element-wise binary ops with NumPy/PyTorch broadcasting: add, sub, mul, div, maximum, minimum.

/// Forward kernel shared by every binary op: `out[i] = f(a[i'], b[i''])` over the broadcast shape.
/// The innermost dimension runs as a tight (vectorisable) loop; rows are split across cores.
@inline(__always)
func broadcastBinary(_ a: Tensor, _ b: Tensor, op: String, _ f: (Float, Float) -> Float) -> Tensor {
    let shape = a.shape == b.shape ? a.shape : Shape.broadcast(a.shape, b.shape, op: op)
    let out = Tensor(uninitialized: shape)
    let o = out.mutableData, pa = a.data, pb = b.data
    if a.shape == b.shape {
        Parallel.forEach(out.count) { r in for i in r { o[i] = f(pa[i], pb[i]) } }
        return out
    }
    if b.count == 1 {
        let s = pb[0]
        Parallel.forEach(out.count) { r in for i in r { o[i] = f(pa[i], s) } }
        return out
    }
    if a.count == 1 {
        let s = pa[0]
        Parallel.forEach(out.count) { r in for i in r { o[i] = f(s, pb[i]) } }
        return out
    }
    let rank = shape.count
    let sa = Shape.broadcastStrides(a.shape, to: shape), sb = Shape.broadcastStrides(b.shape, to: shape)
    let inner = rank == 0 ? 1 : shape[rank - 1]
    let ia = rank == 0 ? 0 : sa[rank - 1], ib = rank == 0 ? 0 : sb[rank - 1]
    let rows = inner == 0 ? 0 : out.count / inner
    Parallel.forEach(rows, grain: max(1, 32_768 / max(inner, 1))) { range in
        for row in range {
            var rem = row, offA = 0, offB = 0
            for d in stride(from: rank - 2, through: 0, by: -1) {
                let idx = rem % shape[d]
                rem /= shape[d]
                offA += idx * sa[d]
                offB += idx * sb[d]
            }
            let po = o + row * inner, ra = pa + offA, rb = pb + offB
            switch (ia, ib) {
            case (1, 1): for j in 0..<inner { po[j] = f(ra[j], rb[j]) }
            case (1, 0): let s = rb[0]; for j in 0..<inner { po[j] = f(ra[j], s) }
            case (0, 1): let s = ra[0]; for j in 0..<inner { po[j] = f(s, rb[j]) }
            default: for j in 0..<inner { po[j] = f(ra[j * ia], rb[j * ib]) }
            }
        }
    }
    return out
}

/// Sums a broadcast gradient back down to `shape` (the inverse of broadcasting).
public func sumToShape(_ g: Tensor, _ shape: [Int]) -> Tensor {
    if g.shape == shape { return g }
    let pad = g.rank - shape.count
    var axes: [Int] = Array(0..<pad)
    for (i, d) in shape.enumerated() where d == 1 && g.shape[pad + i] != 1 { axes.append(pad + i) }
    let summed = sum(g, axes: axes, keepDims: true)
    return reshape(summed, shape)
}

public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
    let out = broadcastBinary(a, b, op: "add", +)
    guard Tape.isRecording(a, b) else { return out }
    return Tape.record(out, inputs: [a, b]) { g in [sumToShape(g, a.shape), sumToShape(g, b.shape)] }
}

public func sub(_ a: Tensor, _ b: Tensor) -> Tensor {
    let out = broadcastBinary(a, b, op: "sub", -)
    guard Tape.isRecording(a, b) else { return out }
    return Tape.record(out, inputs: [a, b]) { g in
        [sumToShape(g, a.shape), b.requiresGrad ? sumToShape(neg(g), b.shape) : nil]
    }
}

public func mul(_ a: Tensor, _ b: Tensor) -> Tensor {
    let out = broadcastBinary(a, b, op: "mul", *)
    guard Tape.isRecording(a, b) else { return out }
    return Tape.record(out, inputs: [a, b]) { g in
        [a.requiresGrad ? sumToShape(mul(g, b), a.shape) : nil,
         b.requiresGrad ? sumToShape(mul(g, a), b.shape) : nil]
    }
}

public func div(_ a: Tensor, _ b: Tensor) -> Tensor {
    let out = broadcastBinary(a, b, op: "div", /)
    guard Tape.isRecording(a, b) else { return out }
    return Tape.record(out, inputs: [a, b]) { g in
        [a.requiresGrad ? sumToShape(div(g, b), a.shape) : nil,
         b.requiresGrad ? sumToShape(neg(div(mul(g, out), b)), b.shape) : nil]
    }
}

/// Element-wise maximum; where equal, the gradient is split evenly (as torch.maximum).
public func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
    let out = broadcastBinary(a, b, op: "maximum") { Swift.max($0, $1) }
    guard Tape.isRecording(a, b) else { return out }
    return Tape.record(out, inputs: [a, b]) { g in
        let wa = broadcastBinary(a, b, op: "maximum") { $0 > $1 ? 1 : ($0 == $1 ? 0.5 : 0) }
        return [sumToShape(mul(g, wa), a.shape), sumToShape(mul(g, sub(Tensor(1), wa)), b.shape)]
    }
}

/// Element-wise minimum; where equal, the gradient is split evenly (as torch.minimum).
public func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { neg(maximum(neg(a), neg(b))) }

public func + (a: Tensor, b: Tensor) -> Tensor { add(a, b) }
public func - (a: Tensor, b: Tensor) -> Tensor { sub(a, b) }
public func * (a: Tensor, b: Tensor) -> Tensor { mul(a, b) }
public func / (a: Tensor, b: Tensor) -> Tensor { div(a, b) }
public func + (a: Tensor, b: Float) -> Tensor { add(a, Tensor(b)) }
public func - (a: Tensor, b: Float) -> Tensor { sub(a, Tensor(b)) }
public func * (a: Tensor, b: Float) -> Tensor { mul(a, Tensor(b)) }
public func / (a: Tensor, b: Float) -> Tensor { div(a, Tensor(b)) }
public func + (a: Float, b: Tensor) -> Tensor { add(Tensor(a), b) }
public func - (a: Float, b: Tensor) -> Tensor { sub(Tensor(a), b) }
public func * (a: Float, b: Tensor) -> Tensor { mul(Tensor(a), b) }
public func / (a: Float, b: Tensor) -> Tensor { div(Tensor(a), b) }
public prefix func - (a: Tensor) -> Tensor { neg(a) }
