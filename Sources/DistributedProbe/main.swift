// A child process that DistributedTests starts under mpirun (and alone) to check the collectives; not a user tool.
import Distributed
import Foundation
import Tensors

let world = Communicator.world
var sums = (0..<5).map { Float(world.rank * 10 + $0) }
world.allreduce(&sums, .sum)
var mean = [Float(world.rank + 1)]
world.allreduce(&mean, .mean)
var largest = [Float(world.rank), Float(10 - world.rank)]
world.allreduce(&largest, .max)
var shared: [Float] = world.isRoot ? [1, 2, 3] : [0, 0, 0]
shared.withUnsafeMutableBufferPointer { world.broadcast($0) }
let names = world.allgather(world.isRoot ? "rank zero" : "rank \(world.rank), ünïcode")
let numbers = world.allgather(UInt64(world.rank * 7 + 1))
world.barrier()
print("rank \(world.rank) of \(world.size): sum \(sums) mean \(mean) max \(largest) broadcast \(shared) names \(names) numbers \(numbers)")

// Gradient buckets: three parameters in buckets of at most 24 bytes; rank r's gradients are r + 1 times the
// parameter's values, and rank 1 has no gradient for "c" (zeros). Then rank 0's parameters broadcast.
let parameters: [(key: String, tensor: Tensor)] = [("a", Tensor(shape: [2], [1, 2])), ("b", Tensor(shape: [2, 2], [3, 4, 5, 6])),
                                                    ("c", Tensor(shape: [1], [7]))]
let buckets = GradientBuckets(parameters: parameters, bucketBytes: 24)
var gradients: [String: Tensor] = [:]
for (key, tensor) in parameters where !(key == "c" && world.rank == 1) {
    gradients[key] = Tensor(shape: tensor.shape, tensor.scalars.map { $0 * Float(world.rank + 1) })
}
buckets.average(&gradients, shapes: Dictionary(uniqueKeysWithValues: parameters.map { ($0.key, $0.tensor.shape) }), over: world)
if world.rank == 1 { for (_, tensor) in parameters { tensor.mutableData.update(repeating: 0, count: tensor.count) } }
GradientBuckets.broadcast(parameters, over: world)
print("rank \(world.rank) buckets \(buckets.buckets.map { $0.map(\.key) }) averaged "
      + "\(["a", "b", "c"].map { gradients[$0]!.scalars }) parameters \(parameters.map(\.tensor.scalars))")

// Bytes from rank 0, and work rank 0 alone does: its result everywhere, or its failure named on every rank.
struct ProbeError: Error, CustomStringConvertible { var description: String { "no such file" } }
let file = String(decoding: world.broadcast(world.isRoot ? Data("rank zero's file".utf8) : Data()), as: UTF8.self)
let hello = String(decoding: try world.onRoot("say hello") { Data("hello from rank \(world.rank)".utf8) }, as: UTF8.self)
var failure = ""
do { _ = try world.onRoot("open a file") { throw ProbeError() } } catch { failure = "\(error)" }
print("rank \(world.rank) bytes \(file); on root: \(hello); failed: \(failure)")
