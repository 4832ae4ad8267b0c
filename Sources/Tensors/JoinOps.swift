/// Joining and splitting along an axis: concat (torch.cat), split (torch.split with sizes), stack.

/// Joins tensors along an existing axis; every other dimension must match (torch.cat).
/// The gradient of each input is its slice of the output gradient.
public func concat(_ xs: [Tensor], axis: Int) -> Tensor {
    precondition(!xs.isEmpty, "concat: no tensors")
    let first = xs[0]
    let ax = Shape.axis(axis, rank: first.rank, op: "concat")
    for x in xs {
        precondition(
            x.rank == first.rank && x.shape.indices.allSatisfy { $0 == ax || x.shape[$0] == first.shape[$0] },
            "concat: shapes \(first.shape) and \(x.shape) differ outside axis \(axis)")
    }
    let sizes = xs.map { $0.shape[ax] }
    var shape = first.shape
    shape[ax] = sizes.reduce(0, +)
    let (outer, total, inner) = splitAround(shape, ax)
    let out = Tensor(uninitialized: shape)
    let o = out.mutableData, rowWidth = total * inner
    var offset = 0
    for (x, n) in zip(xs, sizes) {
        let p = x.data, width = n * inner, start = offset * inner
        Parallel.forEach(outer, grain: max(1, 32_768 / max(width, 1))) { r in
            for a in r { (o + a * rowWidth + start).update(from: p + a * width, count: width) }
        }
        offset += n
    }
    guard Tape.isRecording(xs) else { return out }
    return Tape.record(out, inputs: xs) { g in
        var start = 0
        return zip(xs, sizes).map { x, n in
            defer { start += n }
            return x.requiresGrad ? slice(g, axis: ax, start..<(start + n)) : nil
        }
    }
}

/// Cuts `x` along `axis` into consecutive pieces of the given sizes (which must add up to the axis
/// length); each piece is its own recorded slice.
public func split(_ x: Tensor, sizes: [Int], axis: Int) -> [Tensor] {
    let ax = Shape.axis(axis, rank: x.rank, op: "split")
    precondition(sizes.allSatisfy { $0 >= 0 } && sizes.reduce(0, +) == x.shape[ax],
                 "split: sizes \(sizes) do not add up to axis \(axis) of shape \(x.shape)")
    var start = 0
    return sizes.map { n in
        defer { start += n }
        return slice(x, axis: ax, start..<(start + n))
    }
}

/// Joins equally shaped tensors along a new axis `axis` (0...rank; negative counts from the end).
public func stack(_ xs: [Tensor], axis: Int) -> Tensor {
    precondition(!xs.isEmpty, "stack: no tensors")
    let shape = xs[0].shape
    for x in xs { precondition(x.shape == shape, "stack: shapes \(shape) and \(x.shape) differ") }
    let ax = Shape.axis(axis, rank: shape.count + 1, op: "stack")
    var expanded = shape
    expanded.insert(1, at: ax)
    return concat(xs.map { reshape($0, expanded) }, axis: ax)
}
