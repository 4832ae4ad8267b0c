/// Mask-driven choice between values: maskedFill (torch.masked_fill) and select (torch.where).

/// `x` with `value` wherever the mask (broadcast to x's shape) is true; the gradient is zero there.
public func maskedFill(_ x: Tensor, mask: Mask, value: Float) -> Tensor {
    precondition(Shape.broadcast(x.shape, mask.shape, op: "maskedFill") == x.shape,
                 "maskedFill: mask shape \(mask.shape) does not broadcast to tensor shape \(x.shape)")
    let m = mask.tensor
    let out = broadcastBinary(x, m, op: "maskedFill") { v, masked in masked != 0 ? value : v }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in
        [broadcastBinary(g, m, op: "maskedFill") { v, masked in masked != 0 ? 0 : v }]
    }
}

/// torch.where: `a` where `condition` is true, `b` where it is false, broadcasting all three.
/// Each of `a` and `b` gets the output gradient where it was chosen (summed over its broadcast dimensions).
public func select(_ condition: Mask, _ a: Tensor, _ b: Tensor) -> Tensor {
    let shape = Shape.broadcast(Shape.broadcast(condition.shape, a.shape, op: "select"), b.shape, op: "select")
    let c = condition.tensor
    let out = Tensor(uninitialized: shape)
    let rank = shape.count
    let sc = Shape.broadcastStrides(c.shape, to: shape), sa = Shape.broadcastStrides(a.shape, to: shape)
    let sb = Shape.broadcastStrides(b.shape, to: shape)
    let inner = rank == 0 ? 1 : shape[rank - 1]
    let ic = rank == 0 ? 0 : sc[rank - 1], ia = rank == 0 ? 0 : sa[rank - 1], ib = rank == 0 ? 0 : sb[rank - 1]
    let rows = inner == 0 ? 0 : out.count / inner
    let o = out.mutableData, pc = c.data, pa = a.data, pb = b.data
    Parallel.forEach(rows, grain: max(1, 32_768 / max(inner, 1))) { range in
        for row in range {
            var rem = row, offC = 0, offA = 0, offB = 0
            for d in stride(from: rank - 2, through: 0, by: -1) {
                let idx = rem % shape[d]
                rem /= shape[d]
                offC += idx * sc[d]
                offA += idx * sa[d]
                offB += idx * sb[d]
            }
            let po = o + row * inner, rc = pc + offC, ra = pa + offA, rb = pb + offB
            for j in 0..<inner { po[j] = rc[j * ic] != 0 ? ra[j * ia] : rb[j * ib] }
        }
    }
    guard Tape.isRecording(a, b) else { return out }
    return Tape.record(out, inputs: [a, b]) { g in
        [a.requiresGrad ? sumToShape(broadcastBinary(g, c, op: "select") { v, t in t != 0 ? v : 0 }, a.shape) : nil,
         b.requiresGrad ? sumToShape(broadcastBinary(g, c, op: "select") { v, t in t != 0 ? 0 : v }, b.shape) : nil]
    }
}
