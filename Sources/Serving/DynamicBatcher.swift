import Foundation

/// Dynamic batching on a thread of its own: jobs submitted from any task wait in one bounded queue; the thread
/// takes the oldest job's kind and gathers jobs of that kind until `maxBatch` of them are there or the oldest
/// has waited `maxWait`, then runs them together with `process` and resumes each submitter with its result.
/// A full queue refuses at once (so memory stays bounded under overload); `stop` lets the queued jobs finish.
final class DynamicBatcher<Job, Output>: @unchecked Sendable {
    /// Why a job was not run.
    enum Refusal: Error, Equatable {
        case queueFull(limit: Int)
        case stopped
    }

    private struct Pending {
        let job: Job
        let kind: String
        let arrival: Date
        let continuation: CheckedContinuation<(Output, batchSize: Int), any Error>
    }

    let maxBatch: Int, maxWait: TimeInterval, maxQueue: Int
    private let kind: (Job) -> String
    private let process: ([Job]) -> [Result<Output, any Error>]
    private let observe: (_ kind: String, _ batchSize: Int, _ queueDepth: Int) -> Void
    private let condition = NSCondition()
    private var pending: [Pending] = []
    private var stopping = false, started = false
    private let finished = DispatchSemaphore(value: 0)

    /// `process` gets jobs of one kind and returns one result per job, in order; `observe` is told each batch's
    /// size and the queue depth left behind (and the depth after every submission, with batch size 0).
    init(maxBatch: Int, maxWait: TimeInterval, maxQueue: Int, kind: @escaping (Job) -> String,
         process: @escaping ([Job]) -> [Result<Output, any Error>],
         observe: @escaping (String, Int, Int) -> Void = { _, _, _ in }) {
        precondition(maxBatch >= 1 && maxQueue >= 1 && maxWait >= 0, "DynamicBatcher: maxBatch \(maxBatch), maxQueue \(maxQueue), maxWait \(maxWait)")
        (self.maxBatch, self.maxWait, self.maxQueue) = (maxBatch, maxWait, maxQueue)
        (self.kind, self.process, self.observe) = (kind, process, observe)
    }

    /// Starts the batching thread.
    func start() {
        condition.lock()
        precondition(!started, "DynamicBatcher: started twice")
        started = true
        condition.unlock()
        let thread = Thread { [self] in loop() }
        thread.name = "crossmodal-engine"
        thread.stackSize = 16 << 20
        thread.start()
    }

    /// Runs `job` in a batch; returns its output and the size of the batch it ran in.
    func submit(_ job: Job) async throws -> (Output, batchSize: Int) {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            if stopping {
                condition.unlock()
                continuation.resume(throwing: Refusal.stopped)
                return
            }
            guard pending.count < maxQueue else {
                condition.unlock()
                continuation.resume(throwing: Refusal.queueFull(limit: maxQueue))
                return
            }
            pending.append(Pending(job: job, kind: kind(job), arrival: Date(), continuation: continuation))
            let depth = pending.count
            condition.broadcast()
            condition.unlock()
            observe(kind(job), 0, depth)
        }
    }

    /// Refuses new jobs, lets the queued ones run, and returns when the thread has finished them.
    func stop() {
        condition.lock()
        stopping = true
        let wasStarted = started
        condition.broadcast()
        condition.unlock()
        if wasStarted { finished.wait() }
    }

    private func loop() {
        condition.lock()
        while true {
            while pending.isEmpty && !stopping { condition.wait() }
            guard let oldest = pending.first else { break }
            let deadline = oldest.arrival.addingTimeInterval(maxWait)
            while !stopping && pending.lazy.filter({ $0.kind == oldest.kind }).count < maxBatch && Date() < deadline {
                _ = condition.wait(until: deadline)
            }
            var batch: [Pending] = [], rest: [Pending] = []
            for item in pending {
                if item.kind == oldest.kind && batch.count < maxBatch { batch.append(item) } else { rest.append(item) }
            }
            pending = rest
            let depth = pending.count
            condition.unlock()
            observe(oldest.kind, batch.count, depth)
            let results = process(batch.map(\.job))
            precondition(results.count == batch.count, "DynamicBatcher: \(results.count) results for \(batch.count) jobs")
            for (item, result) in zip(batch, results) {
                item.continuation.resume(with: result.map { ($0, batch.count) })
            }
            condition.lock()
        }
        condition.unlock()
        finished.signal()
    }
}
