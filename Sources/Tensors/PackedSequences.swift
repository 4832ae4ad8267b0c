/// Variable-length sequences without padding ("unpadding"): the valid positions of a [B, L, D] batch stored
/// as rows of one [N, D] tensor, batch item b's in rows `offsets[b] ..< offsets[b + 1]`, in their order.
/// Row-wise ops (linear, activations, layerNorm, add) run on the packed rows unchanged; `attention` over
/// packed queries or keys reads each item's rows; padded positions cost nothing.

/// Where each batch item's rows are in a packed [N, D] tensor.
public struct PackedLayout: Equatable, Sendable {
    /// `offsets[b] ..< offsets[b + 1]` are batch item b's rows; `offsets.last` is the total row count N.
    public let offsets: [Int]
    /// For every packed row, its position `b·L + l` in the padded [B, L] layout.
    public let positions: [Int]
    /// The padded length L.
    public let paddedLength: Int

    /// The layout of the valid (unmasked) positions of a [B, L] padding mask (`true` = padding).
    public init(paddingMask: Mask) {
        precondition(paddingMask.shape.count == 2, "PackedLayout: padding mask must be [B, L], got shape \(paddingMask.shape)")
        let (b, l) = (paddingMask.shape[0], paddingMask.shape[1])
        var offsets = [0], positions: [Int] = []
        positions.reserveCapacity(b * l)
        for i in 0..<b {
            for j in 0..<l where !paddingMask.values[i * l + j] { positions.append(i * l + j) }
            offsets.append(positions.count)
        }
        self.offsets = offsets
        self.positions = positions
        paddedLength = l
    }

    public var batchSize: Int { offsets.count - 1 }
    /// Total rows N.
    public var rows: Int { offsets[offsets.count - 1] }
    /// Rows of batch item `b`.
    @inline(__always) public func count(_ b: Int) -> Int { offsets[b + 1] - offsets[b] }
}

/// The valid positions of `x` [B, L, D] as a packed [N, D] tensor (gradient: scattered back, zero at padding).
public func pack(_ x: Tensor, _ layout: PackedLayout) -> Tensor {
    precondition(x.rank == 3 && x.shape[0] == layout.batchSize && x.shape[1] == layout.paddedLength,
                 "pack: input \(x.shape) for a layout of \(layout.batchSize) items of length \(layout.paddedLength)")
    let d = x.shape[2]
    let out = Tensor(uninitialized: [layout.rows, d])
    copyRows(from: x.data, to: out.mutableData, width: d, count: layout.rows) { (layout.positions[$0], $0) }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in [unpack(g, layout)] }
}

/// A packed [N, D] tensor back in the padded [B, L, D] layout, zeros at padding (gradient: packed again).
public func unpack(_ x: Tensor, _ layout: PackedLayout) -> Tensor {
    precondition(x.rank == 2 && x.shape[0] == layout.rows, "unpack: input \(x.shape) for a layout of \(layout.rows) rows")
    let d = x.shape[1]
    let out = Tensor(zeros: [layout.batchSize, layout.paddedLength, d])
    copyRows(from: x.data, to: out.mutableData, width: d, count: layout.rows) { ($0, layout.positions[$0]) }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in [pack(g, layout)] }
}

/// Mean of each batch item's packed rows, [N, D] → [B, D]; an item with no rows gives zeros. The packed
/// counterpart of `maskedMean` (same sums in the same order).
public func segmentMean(_ x: Tensor, _ layout: PackedLayout) -> Tensor {
    precondition(x.rank == 2 && x.shape[0] == layout.rows, "segmentMean: input \(x.shape) for a layout of \(layout.rows) rows")
    let (b, d) = (layout.batchSize, x.shape[1])
    let out = Tensor(zeros: [b, d])
    let o = out.mutableData, p = x.data
    layout.offsets.withUnsafeBufferPointer { off in
        Parallel.forEach(b, grain: max(1, 16_384 / max(d * max(layout.rows / max(b, 1), 1), 1))) { range in
            for i in range {
                let dst = o + i * d
                for r in off[i]..<off[i + 1] {
                    let src = p + r * d
                    for j in 0..<d { dst[j] += src[j] }
                }
                let s = 1 / Float(max(off[i + 1] - off[i], 1))
                for j in 0..<d { dst[j] *= s }
            }
        }
    }
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in
        let gx = Tensor(uninitialized: x.shape)
        let pgx = gx.mutableData, pg = g.data
        layout.offsets.withUnsafeBufferPointer { off in
            Parallel.forEach(b, grain: 1) { range in
                for i in range {
                    let src = pg + i * d, s = 1 / Float(max(off[i + 1] - off[i], 1))
                    for r in off[i]..<off[i + 1] {
                        let dst = pgx + r * d
                        for j in 0..<d { dst[j] = src[j] * s }
                    }
                }
            }
        }
        return [gx]
    }
}

/// Copies `count` rows of `width` floats, row k from source row `map(k).0` to destination row `map(k).1`.
@inline(__always)
private func copyRows(
    from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, width: Int, count: Int,
    _ map: (Int) -> (Int, Int)
) {
    Parallel.forEach(count, grain: max(1, 32_768 / max(width, 1))) { range in
        for k in range {
            let (s, t) = map(k)
            (dst + t * width).update(from: src + s * width, count: width)
        }
    }
}
