import Foundation
import Tensors
import Training
import XCTest

/// kill -9 for real: the `ReliabilityProbe` executable (built with the tests) trains with a checkpoint after
/// every step and is SIGKILLed at seeded random moments, many times; a checkpoint write takes longer than a
/// training step, so many kills land inside one. After each kill every visible checkpoint verifies, the next
/// run resumes from the newest, and the finished run equals an uninterrupted one bit for bit.
final class KillResumeTests: XCTestCase {
    override func tearDown() { removeTemporaryDirectories() }

    /// A running probe, its stdout so far, and its stderr pipe.
    private struct Child {
        let process: Process
        let stdout: FileHandle
        let stderr: Pipe
        var output = ""

        /// Reads stdout until it holds a whole line starting with `prefix` (or the probe exits); the line's number.
        mutating func waitFor(_ prefix: String) -> Int? {
            while true {
                if let line = output.split(separator: "\n").first(where: { $0.hasPrefix(prefix) && output.contains("\($0)\n") }) {
                    return Int(line.dropFirst(prefix.count + 1))
                }
                let data = stdout.availableData
                if data.isEmpty { return nil }
                output += String(decoding: data, as: UTF8.self)
            }
        }

        var errors: String { String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
    }

    private func start(_ executable: URL, _ directory: URL, steps: Int) throws -> Child {
        let process = Process()
        process.executableURL = executable
        process.arguments = [directory.path, String(steps)]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return Child(process: process, stdout: out.fileHandleForReading, stderr: err)
    }

    private func probeExecutable() throws -> URL {
        let products = Bundle.main.executableURL!.deletingLastPathComponent()
        let url = products.appendingPathComponent("ReliabilityProbe")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: url.path),
                      "\(url.path) is missing: build it with `swift build --build-tests` (swift test builds it too)")
        return url
    }

    func testKillNineAtRandomMomentsThenResumeEqualsAnUninterruptedRun() throws {
        let executable = try probeExecutable()
        let steps = 80
        let clock = ContinuousClock()

        let reference = temporaryDirectory("kill-reference")
        var straight = try start(executable, reference, steps: steps)
        XCTAssertEqual(straight.waitFor("ready"), 0)
        let trainingStarted = clock.now
        XCTAssertEqual(straight.waitFor("done"), steps, straight.errors)
        straight.process.waitUntilExit()
        XCTAssertEqual(straight.process.terminationStatus, 0)
        // Kill delays scale with this build's speed (debug, release, sanitizers): up to three steps' time.
        let stepTime = clock.now - trainingStarted
        let microsecondsPerStep = max(1, Int(stepTime.components.seconds * 1_000_000 + stepTime.components.attoseconds / 1_000_000_000_000) / steps)

        let dir = temporaryDirectory("kill-target")
        let store = CheckpointStore(directory: dir.appendingPathComponent("checkpoints"), keep: 2)
        var rng = RandomGenerator(seed: 20_240_607)
        var kills = 0, killsDuringAWrite = 0, newest = 0, resumedAt: [Int] = []
        let began = clock.now
        while kills < 30 {
            var child = try start(executable, dir, steps: steps)
            guard let ready = child.waitFor("ready") else {
                child.process.waitUntilExit()
                return XCTFail("the probe did not resume after kill \(kills): \(child.errors)")
            }
            XCTAssertEqual(ready, newest, "resume starts from the newest checkpoint on disk")
            resumedAt.append(ready)
            usleep(UInt32(rng.int(below: 3 * microsecondsPerStep)))
            kill(child.process.processIdentifier, SIGKILL)
            child.process.waitUntilExit()
            if child.process.terminationReason == .exit {
                XCTAssertEqual(child.process.terminationStatus, 0, child.errors)
                break  // it finished before the kill
            }
            XCTAssertEqual(child.process.terminationStatus, SIGKILL)
            kills += 1
            let names = try FileManager.default.contentsOfDirectory(atPath: store.directory.path)
            if names.contains(where: { $0.hasPrefix(".tmp-") && !$0.hasPrefix(".tmp-old-") }) { killsDuringAWrite += 1 }
            // No partial checkpoint is ever visible: every step-* directory verifies.
            for checkpoint in store.checkpoints() {
                XCTAssertNoThrow(try Checkpoint.load(from: checkpoint.url), "after kill \(kills)")
            }
            let steps = store.checkpoints().map(\.step)
            XCTAssertGreaterThanOrEqual(steps.first ?? 0, newest, "progress is never lost")
            newest = steps.first ?? 0
        }
        var last = try start(executable, dir, steps: steps)
        XCTAssertEqual(last.waitFor("ready"), newest)
        XCTAssertEqual(last.waitFor("done"), steps, last.errors)
        last.process.waitUntilExit()
        XCTAssertEqual(last.process.terminationStatus, 0)
        let seconds = Double((clock.now - began).components.seconds)
        print("kill -9: \(kills) kills (\(killsDuringAWrite) during a checkpoint write) in \(seconds)s, "
              + "\(microsecondsPerStep) µs per step; resumed at \(resumedAt)")

        XCTAssertGreaterThanOrEqual(kills, 20, "resumed at \(resumedAt)")
        XCTAssertGreaterThan(killsDuringAWrite, 0, "some kills must interrupt a checkpoint write")
        XCTAssertGreaterThan(Set(resumedAt).count, 3, "the kills must be spread over the run: \(resumedAt)")

        let finalName = store.url(step: steps).lastPathComponent
        for file in [Checkpoint.modelFile, Checkpoint.optimizerFile] {
            let a = try Data(contentsOf: reference.appendingPathComponent("checkpoints/\(finalName)/\(file)"))
            let b = try Data(contentsOf: dir.appendingPathComponent("checkpoints/\(finalName)/\(file)"))
            XCTAssertEqual(a, b, "\(file) is bit-identical to the uninterrupted run's")
        }
        let a = try Checkpoint.load(from: reference.appendingPathComponent("checkpoints/\(finalName)"))
        let b = try Checkpoint.load(from: dir.appendingPathComponent("checkpoints/\(finalName)"))
        XCTAssertEqual(a.state.randomState, b.state.randomState)
        XCTAssertEqual(a.state.learningRateFactor, b.state.learningRateFactor)
        XCTAssertEqual(MetricsLog.read(dir.appendingPathComponent("metrics.jsonl")).map(\.loss.bitPattern),
                       MetricsLog.read(reference.appendingPathComponent("metrics.jsonl")).map(\.loss.bitPattern),
                       "metrics.jsonl holds each step once, with the same losses")
    }
}
