// The seed workload's work alone, for `crossmodal bench seed --instructions` to count under valgrind (whose
// callgrind cannot follow the tool itself: libdispatch's async main parks in sigsuspend, which crashes it).
// Usage: seed-probe train|infer N BATCH TEXT_LENGTH — N training steps or eval inferences on 1 thread.
import Benchmarks
import Foundation
import Optim
import Tensors

let arguments = CommandLine.arguments
guard arguments.count == 5, ["train", "infer"].contains(arguments[1]), let n = Int(arguments[2]), n > 0,
      let batch = Int(arguments[3]), batch > 0, let textLength = Int(arguments[4]), textLength > 0 else {
    FileHandle.standardError.write(Data("usage: seed-probe train|infer N BATCH TEXT_LENGTH (N, BATCH, TEXT_LENGTH ≥ 1)\n".utf8))
    exit(2)
}
(BLAS.threads, Parallel.cores) = (1, 1)
let workload = SeedWorkload(batchSize: batch, textLength: textLength)
if arguments[1] == "train" {
    workload.model.train()
    let optimizer = AdamW(parameters: workload.model, learningRate: 1e-4, weightDecay: 0.01)
    for _ in 0..<n { _ = workload.trainingStep(optimizer) }
} else {
    workload.model.eval()
    for _ in 0..<n { _ = workload.inference() }
}
