import Foundation
@testable import Serving
import XCTest

/// The batcher gathers jobs of one kind up to its batch size or wait, never mixes kinds, refuses when its queue
/// is full, and finishes queued jobs when stopped.
final class DynamicBatcherTests: XCTestCase {
    /// A batcher whose `process` records each batch (and can be held back by `gate`).
    private final class Recorder: @unchecked Sendable {
        let lock = NSLock()
        var batches: [[String]] = []
        let gate = DispatchSemaphore(value: 0)
        var holding = false

        func process(_ jobs: [String]) -> [Result<String, any Error>] {
            lock.withLock { batches.append(jobs) }
            if lock.withLock({ holding }) { gate.wait() }
            return jobs.map { $0 == "fail" ? .failure(CancellationError()) : .success($0.uppercased()) }
        }
    }

    func testGathersUpToTheBatchSizeAndKeepsKindsApart() async throws {
        let recorder = Recorder()
        let batcher = DynamicBatcher<String, String>(maxBatch: 4, maxWait: 0.2, maxQueue: 64, kind: { String($0.prefix(1)) },
                                                     process: recorder.process)
        batcher.start()
        let jobs = (0..<6).map { "a\($0)" } + (0..<3).map { "b\($0)" }
        let results = try await withThrowingTaskGroup(of: (String, String, Int).self) { group in
            for job in jobs { group.addTask { let (out, n) = try await batcher.submit(job); return (job, out, n) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        batcher.stop()
        XCTAssertEqual(Set(results.map { $0.1 }), Set(jobs.map { $0.uppercased() }))
        for (job, _, size) in results { XCTAssertTrue(recorder.batches.contains { $0.contains(job) && $0.count == size }) }
        XCTAssertTrue(recorder.batches.allSatisfy { Set($0.map { $0.prefix(1) }).count == 1 }, "\(recorder.batches)")
        XCTAssertTrue(recorder.batches.allSatisfy { $0.count <= 4 }, "\(recorder.batches)")
        XCTAssertLessThan(recorder.batches.count, jobs.count, "jobs were gathered: \(recorder.batches)")
        XCTAssertEqual(recorder.batches.flatMap { $0 }.sorted(), jobs.sorted(), "each job ran once")
    }

    func testALoneJobRunsAfterTheWaitAndFailuresReachTheirSubmitter() async throws {
        let recorder = Recorder()
        let batcher = DynamicBatcher<String, String>(maxBatch: 8, maxWait: 0.05, maxQueue: 8, kind: { _ in "" }, process: recorder.process)
        batcher.start()
        let start = Date()
        let (out, size) = try await batcher.submit("x")
        XCTAssertEqual(out, "X")
        XCTAssertEqual(size, 1)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.04, "waited for company")
        do {
            _ = try await batcher.submit("fail")
            XCTFail("a failed job throws")
        } catch is CancellationError {}
        batcher.stop()
    }

    func testAFullQueueRefusesAtOnceAndStopFinishesWhatIsQueued() async throws {
        let recorder = Recorder()
        recorder.holding = true
        let batcher = DynamicBatcher<String, String>(maxBatch: 1, maxWait: 0, maxQueue: 2, kind: { _ in "" }, process: recorder.process)
        batcher.start()
        let running = Task { try await batcher.submit("first") }
        while recorder.lock.withLock({ recorder.batches.isEmpty }) { try await Task.sleep(for: .milliseconds(5)) }
        let queued = [Task { try await batcher.submit("second") }, Task { try await batcher.submit("third") }]
        try await Task.sleep(for: .milliseconds(100))
        do {
            _ = try await batcher.submit("fourth")
            XCTFail("the queue holds 2")
        } catch let refusal as DynamicBatcher<String, String>.Refusal {
            XCTAssertEqual(refusal, .queueFull(limit: 2))
        }
        recorder.lock.withLock { recorder.holding = false }
        recorder.gate.signal()
        let stopped = Task.detached { batcher.stop() }
        _ = await stopped.value
        let first = try await running.value.0
        XCTAssertEqual(first, "FIRST")
        for task in queued { let out = try await task.value.0; XCTAssertTrue(["SECOND", "THIRD"].contains(out)) }
        do {
            _ = try await batcher.submit("late")
            XCTFail("a stopped batcher refuses")
        } catch let refusal as DynamicBatcher<String, String>.Refusal {
            XCTAssertEqual(refusal, .stopped)
        }
    }
}
