/// The processes that each hold part of a batch when they train one model together (data parallel), as the
/// ops that combine their parts see them. While `sum` is set, it must replace each element of the buffer with
/// its total over the replicas (an allreduce), and every replica must call it for the same ops in the same
/// order: batch normalisation's training statistics and the sums their gradients need (PyTorch's
/// SyncBatchNorm), and `gatherReplicaRows`.
public enum Replicas {
    nonisolated(unsafe) public static var sum: ((UnsafeMutableBufferPointer<Float>) -> Void)?
}

/// The whole batch of which this replica holds rows `rows` (axis 0) as `x`, each other replica holding the
/// rest: [total, …] in replica order (torch.distributed.nn.all_gather, concatenated). The backward pass sums
/// the gradient over the replicas and returns this replica's rows, so that a loss every replica computes on
/// the whole batch trains each replica's part. Without replicas (`Replicas.sum` nil) `x` must be the whole
/// batch and is returned as it is.
public func gatherReplicaRows(_ x: Tensor, rows: Range<Int>, total: Int) -> Tensor {
    precondition(x.rank >= 1 && x.shape[0] == rows.count && rows.lowerBound >= 0 && rows.upperBound <= total,
                 "gatherReplicaRows: input \(x.shape) for rows \(rows) of \(total)")
    guard let sum = Replicas.sum else {
        precondition(rows == 0..<total, "gatherReplicaRows: rows \(rows) of \(total) without replicas, input \(x.shape)")
        return x
    }
    let width = Shape.count(Array(x.shape.dropFirst()))
    let out = Tensor(zeros: [total] + x.shape.dropFirst())
    (out.mutableData + rows.lowerBound * width).update(from: x.data, count: x.count)
    sum(UnsafeMutableBufferPointer(start: out.mutableData, count: out.count))
    guard Tape.isRecording(x) else { return out }
    return Tape.record(out, inputs: [x]) { g in
        let whole = Tensor(uninitialized: g.shape)
        whole.mutableData.update(from: g.data, count: g.count)
        sum(UnsafeMutableBufferPointer(start: whole.mutableData, count: whole.count))
        let gx = Tensor(uninitialized: x.shape)
        gx.mutableData.update(from: whole.data + rows.lowerBound * width, count: x.count)
        return [gx]
    }
}
