import Foundation
import Tensors

/// Builds the image tensors of the next training steps' batches on a thread of its own while the current step
/// runs, at most `depth` steps ahead. It knows which images a step will draw because a step's draws depend only
/// on its number (`plan`, the same draws the loss makes from the trainer's per-step generator). A step takes its
/// tensor when the prefetched batch is the one it drew and builds its own otherwise (then the prefetcher starts
/// again from the next step). So the batches, and every result, are those of the synchronous path:
/// prefetching changes when images are decoded, not which.
public final class BatchPrefetcher: @unchecked Sendable {
    /// The image indices step `step` draws.
    public typealias Plan = (_ step: Int) -> [Int]

    private let depth: Int, workers: Int
    private let build: ([Int], Int) throws -> Tensor
    private let plan: Plan
    private let condition = NSCondition()
    private var ready: [(step: Int, indices: [Int], images: Result<Tensor, any Error>)] = []
    private var building: Int?
    private var nextStep: Int?
    private var generation = 0, stopped = false, started = false
    /// Steps that found their batch ready (or about to be), and steps that built it themselves.
    public private(set) var hits = 0, misses = 0

    /// `build(indices, workers)` makes a batch's image tensor (decoding on `workers` threads).
    public init(depth: Int, workers: Int, plan: @escaping Plan, build: @escaping ([Int], Int) throws -> Tensor) {
        precondition(depth >= 1 && workers >= 1, "BatchPrefetcher: depth \(depth), workers \(workers)")
        (self.depth, self.workers, self.plan, self.build) = (depth, workers, plan, build)
    }

    /// Prefetches `data`'s pixel batches.
    public convenience init(depth: Int, workers: Int, data: ImageTextData, plan: @escaping Plan) {
        self.init(depth: depth, workers: workers, plan: plan, build: { try data.pixels($0, workers: $1) })
    }

    /// The image tensor of step `step`'s batch, whose images are `indices`.
    public func images(for indices: [Int], step: Int) throws -> Tensor {
        condition.lock()
        ready.removeAll { $0.step < step }
        condition.broadcast()
        // The step being built, or next in line to be: wait for it rather than build it twice.
        while !stopped && (building == step || nextStep == step) && !ready.contains(where: { $0.step == step }) { condition.wait() }
        if let first = ready.first, first.step == step, first.indices == indices {
            ready.removeFirst()
            hits += 1
            condition.broadcast()
            condition.unlock()
            return try first.images.get()
        }
        // Not what was prefetched (the first step, a resumed run, or a plan that went another way): start again
        // from the next step and build this batch now.
        ready.removeAll()
        generation += 1
        nextStep = step + 1
        misses += 1
        if !started {
            started = true
            let thread = Thread { [self] in produce() }
            thread.name = "crossmodal-prefetch"
            thread.start()
        }
        condition.broadcast()
        condition.unlock()
        return try build(indices, workers)
    }

    /// Stops the thread (the batches it holds are dropped); a prefetcher that has started lives until then.
    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func produce() {
        condition.lock()
        while true {
            while !stopped && (nextStep == nil || ready.count >= depth) { condition.wait() }
            if stopped { break }
            let step = nextStep!, mine = generation
            building = step
            condition.unlock()
            let indices = plan(step)
            let images = Result { try build(indices, workers) }
            condition.lock()
            building = nil
            if generation == mine {
                ready.append((step, indices, images))
                nextStep = step + 1
            }
            condition.broadcast()
        }
        condition.unlock()
    }
}
