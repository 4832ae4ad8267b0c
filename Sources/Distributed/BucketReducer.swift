import Tensors

/// One step's gradient averaging overlapped with the backward pass, as PyTorch DDP's reducer does: each gradient
/// is copied into its bucket's flat buffer as soon as the backward pass has finished it (`ready`), and a bucket's
/// allreduce starts once all its gradients are in (and the buckets before it have started), while the pass goes on
/// with earlier layers; `finish` waits only for what is still in flight. The result is `GradientBuckets.average`'s.
public final class BucketReducer {
    private let buckets: GradientBuckets
    private let communicator: Communicator
    private let buffers: [UnsafeMutableBufferPointer<Float>]
    private let place: [String: (bucket: Int, offset: Int, count: Int)]
    private var missing: [Int]
    private var requests: [Communicator.Request?]
    /// Buckets are started in order (every rank must start the same collectives in the same order): the first
    /// not started yet.
    private var next = 0

    public init(buckets: GradientBuckets, communicator: Communicator) {
        (self.buckets, self.communicator) = (buckets, communicator)
        var place: [String: (bucket: Int, offset: Int, count: Int)] = [:]
        for (b, bucket) in buckets.buckets.enumerated() {
            var offset = 0
            for (key, count) in bucket {
                place[key] = (b, offset, count)
                offset += count
            }
        }
        self.place = place
        buffers = buckets.buckets.map { bucket in
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: bucket.map(\.count).reduce(0, +))
            buffer.initialize(repeating: 0)
            return buffer
        }
        missing = buckets.buckets.map(\.count)
        requests = buckets.buckets.map { _ in nil }
    }

    deinit { for buffer in buffers { buffer.deallocate() } }

    /// Parameter `key`'s gradient is final: into its bucket, whose allreduce starts if it was the last one missing.
    public func ready(_ key: String, _ gradient: Tensor) {
        guard let (b, offset, count) = place[key] else { return }
        precondition(gradient.count == count, "BucketReducer.ready: gradient \(key) has \(gradient.count) values, the parameter \(count)")
        (buffers[b].baseAddress! + offset).update(from: gradient.data, count: count)
        missing[b] -= 1
        while next < buffers.count && missing[next] == 0 {
            requests[next] = communicator.startAllreduce(buffers[next])
            next += 1
        }
    }

    /// Waits for every bucket (starting those whose gradients never came: they count as zeros) and replaces each
    /// gradient with its mean over the ranks.
    public func finish(into gradients: inout [String: Tensor], shapes: [String: [Int]]) {
        let scale = 1 / Float(communicator.size)
        for b in next..<buffers.count { requests[b] = communicator.startAllreduce(buffers[b]) }
        next = buffers.count
        for (b, bucket) in buckets.buckets.enumerated() {
            communicator.wait(requests[b]!)
            var offset = 0
            for (key, count) in bucket {
                let g = Tensor(uninitialized: shapes[key]!)
                for i in 0..<count { g.mutableData[i] = buffers[b][offset + i] * scale }
                gradients[key] = g
                offset += count
            }
        }
    }
}
