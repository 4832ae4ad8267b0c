import Tensors

/// Gradients averaged across ranks in flat buckets, as PyTorch DDP's reducer and Horovod's fusion buffer do:
/// the parameters, in reverse order of registration (the order the backward pass finishes their gradients),
/// are packed into buckets of about `bucketBytes`, and each bucket is one allreduce instead of one per tensor.
public struct GradientBuckets: Sendable {
    /// Each bucket's parameters: key and element count, in packing order.
    public let buckets: [[(key: String, count: Int)]]

    /// Buckets for `parameters` (a module's `trainableParameters()`, in registration order).
    public init(parameters: [(key: String, tensor: Tensor)], bucketBytes: Int = 25 << 20) {
        precondition(bucketBytes >= 4, "GradientBuckets: bucketBytes \(bucketBytes)")
        var buckets: [[(key: String, count: Int)]] = [], current: [(key: String, count: Int)] = [], bytes = 0
        for (key, tensor) in parameters.reversed() {
            if !current.isEmpty && bytes + 4 * tensor.count > bucketBytes {
                buckets.append(current)
                (current, bytes) = ([], 0)
            }
            current.append((key, tensor.count))
            bytes += 4 * tensor.count
        }
        if !current.isEmpty { buckets.append(current) }
        self.buckets = buckets
    }

    /// Replaces every gradient with its mean over the ranks of `communicator` (a parameter without a gradient
    /// on this rank counts as zeros and gets the mean too), bucket by bucket.
    public func average(_ gradients: inout [String: Tensor], shapes: [String: [Int]], over communicator: Communicator) {
        guard communicator.size > 1 else { return }
        for bucket in buckets {
            var flat = [Float](repeating: 0, count: bucket.map(\.count).reduce(0, +))
            var offset = 0
            flat.withUnsafeMutableBufferPointer { buffer in
                for (key, count) in bucket {
                    if let g = gradients[key] {
                        precondition(g.count == count, "GradientBuckets.average: gradient \(key) has \(g.count) values, the parameter \(count)")
                        (buffer.baseAddress! + offset).update(from: g.data, count: count)
                    }
                    offset += count
                }
                communicator.allreduce(buffer, .mean)
            }
            offset = 0
            for (key, count) in bucket {
                let g = Tensor(uninitialized: shapes[key]!)
                flat.withUnsafeBufferPointer { g.mutableData.update(from: $0.baseAddress! + offset, count: count) }
                gradients[key] = g
                offset += count
            }
        }
    }

    /// Makes every rank's `parameters` rank `root`'s (the start of data-parallel training).
    public static func broadcast(_ parameters: [(key: String, tensor: Tensor)], from root: Int = 0, over communicator: Communicator) {
        guard communicator.size > 1 else { return }
        for (_, tensor) in parameters {
            communicator.broadcast(UnsafeMutableBufferPointer(start: tensor.mutableData, count: tensor.count), root: root)
        }
    }
}
