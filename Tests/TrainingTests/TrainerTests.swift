import Foundation
import NN
import Optim
import Tensors
import Training
import XCTest

final class TrainerTests: XCTestCase {
    override func tearDown() { removeTemporaryDirectories() }

    private func trainer(_ config: TrainingConfig, modelSeed: UInt64 = 1, evaluate: Trainer<TinyNet>.Evaluate? = nil,
                         messages: MessageLog? = nil) throws -> Trainer<TinyNet> {
        let progress = messages.map { log in ProgressReporter(style: .lines) { log.lines.append($0) } }
            ?? ProgressReporter(style: .silent)
        return try Trainer(model: TinyNet(seed: modelSeed), config: config, loss: regressionLoss(batchSize: config.batchSize),
                           evaluate: evaluate, progress: progress)
    }

    func testSameConfigGivesSameLossesAndTheLossFalls() throws {
        func config(_ name: String) -> TrainingConfig {
            var c = smallConfig(temporaryDirectory(name), steps: 60)
            c.batchSize = 32
            return c
        }
        let a = try trainer(config("det-a")).train()
        let b = try trainer(config("det-b")).train()
        XCTAssertEqual(a.losses.map(\.bitPattern), b.losses.map(\.bitPattern))
        XCTAssertEqual(a.losses.count, 60)
        XCTAssertLessThan(a.losses.suffix(10).reduce(0, +), 0.6 * a.losses.prefix(10).reduce(0, +))
        var other = config("det-c")
        other.seed = 8
        XCTAssertNotEqual(try trainer(other).train().losses, a.losses, "the seed must change the data order")
    }

    /// 2N steps straight vs N steps, a new Trainer (other initial weights) resuming, N more: identical
    /// losses, weights and metrics. Dropout is active, so the restored random state matters.
    func testResumeContinuesBitForBit() throws {
        let straight = try trainer(smallConfig(temporaryDirectory("straight")))
        let full = try straight.train()

        let dir = temporaryDirectory("split")
        let first = try trainer(smallConfig(dir))
        let head = try first.train(until: 6)
        XCTAssertEqual(head.endStep, 6)
        XCTAssertEqual(head.losses.map(\.bitPattern), full.losses.prefix(6).map(\.bitPattern))

        let second = try trainer(smallConfig(dir), modelSeed: 99)
        XCTAssertNotEqual(weightBits(second.model), weightBits(first.model))
        XCTAssertEqual(try second.resume(), 6)
        let tail = try second.train()
        XCTAssertEqual(tail.startStep, 6)
        XCTAssertEqual(tail.losses.map(\.bitPattern), full.losses.suffix(6).map(\.bitPattern))
        XCTAssertEqual(weightBits(second.model), weightBits(straight.model))
        XCTAssertEqual(MetricsLog.read(second.metricsURL).map(\.loss), full.losses)
    }

    func testResumeWithoutCheckpointsStartsFresh() throws {
        let t = try trainer(smallConfig(temporaryDirectory("fresh"), steps: 3))
        XCTAssertNil(try t.resume())
        XCTAssertEqual(try t.train().endStep, 3)
    }

    func testFreshRunRefusesADirectoryWithCheckpoints() throws {
        let dir = temporaryDirectory("reuse")
        try trainer(smallConfig(dir, steps: 3)).train()
        XCTAssertThrowsError(try trainer(smallConfig(dir, steps: 3)).train()) { error in
            XCTAssertEqual(error as? TrainingError, .existingCheckpoints(directory: dir.appendingPathComponent("checkpoints").path))
        }
    }

    /// A truncated file in the newest checkpoint is reported, the previous one is used, the metrics lines after
    /// it are dropped, and the run still ends exactly where an uninterrupted one does.
    func testCorruptedNewestCheckpointFallsBackToThePreviousOne() throws {
        let straight = try trainer(smallConfig(temporaryDirectory("straight2")))
        let full = try straight.train()

        let dir = temporaryDirectory("corrupt")
        let first = try trainer(smallConfig(dir))
        try first.train(until: 9)
        XCTAssertEqual(first.checkpoints.checkpoints().map(\.step), [9, 6, 3])
        let model = first.checkpoints.url(step: 9).appendingPathComponent(Checkpoint.modelFile)
        let bytes = try Data(contentsOf: model)
        try bytes.prefix(bytes.count - 10).write(to: model)
        XCTAssertThrowsError(try Checkpoint.load(from: first.checkpoints.url(step: 9))) { error in
            guard case .corruptCheckpoint(_, let reason)? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("model.safetensors has checksum"), reason)
        }

        let messages = MessageLog()
        let second = try trainer(smallConfig(dir), modelSeed: 5, messages: messages)
        XCTAssertEqual(try second.resume(), 6)
        XCTAssertTrue(messages.lines.contains { $0.contains("step-000009") && $0.contains("corrupted") }, "\(messages.lines)")
        let tail = try second.train()
        XCTAssertEqual(tail.losses.map(\.bitPattern), full.losses.suffix(6).map(\.bitPattern))
        XCTAssertEqual(weightBits(second.model), weightBits(straight.model))
        XCTAssertEqual(MetricsLog.read(second.metricsURL).map(\.step), Array(1...12))
        XCTAssertNoThrow(try Checkpoint.load(from: second.checkpoints.url(step: 9)), "the corrupted one is rewritten")
    }

    func testAllCheckpointsCorruptedIsAnError() throws {
        let dir = temporaryDirectory("allbad")
        let t = try trainer(smallConfig(dir, steps: 3))
        try t.train()
        try Data().write(to: t.checkpoints.url(step: 3).appendingPathComponent(Checkpoint.stateFile))
        XCTAssertThrowsError(try trainer(smallConfig(dir, steps: 3)).resume()) { error in
            guard case .noValidCheckpoint(_, let problems)? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertEqual(problems.count, 1)
            XCTAssertTrue(problems[0].contains("trainer.json is not a valid trainer state"), problems[0])
        }
    }

    func testMetricsLinesAndEvaluationInEvalMode() throws {
        var config = smallConfig(temporaryDirectory("metrics"))
        config.evalEvery = 5
        var evalBatch = RandomGenerator(seed: 123)
        let (x, y) = regressionBatch(16, &evalBatch)
        var modesSeen: [Bool] = []
        let t = try trainer(config, evaluate: { model in
            modesSeen.append(model.isTraining)
            return ["mse": Double(mseLoss(model(x), y).item)]
        })
        let summary = try t.train()
        XCTAssertEqual(modesSeen, [false, false, false], "evaluation at steps 5, 10 and the last (12), in eval mode")
        XCTAssertTrue(t.model.isTraining)

        let lines = try String(contentsOf: t.metricsURL, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 12)
        XCTAssertTrue(lines[0].hasPrefix("{\"step\":1,\"loss\":"), String(lines[0]))
        let records = MetricsLog.read(t.metricsURL)
        XCTAssertEqual(records.map(\.step), Array(1...12))
        XCTAssertEqual(records.map(\.loss), summary.losses)
        let schedule = WarmupCosineSchedule(baseLearningRate: 1e-2, warmupSteps: 2, totalSteps: 12, minLearningRate: 1e-3)
        XCTAssertEqual(records.map(\.learningRate), (0..<12).map { schedule.learningRate(at: $0) })
        XCTAssertTrue(records.allSatisfy { !$0.skipped && $0.gradNorm > 0 && $0.elapsedSeconds >= 0 })
        XCTAssertEqual(records.filter { !$0.eval.isEmpty }.map(\.step), [5, 10, 12])
        XCTAssertEqual(records[11].eval["mse"], summary.lastEvaluation["mse"])
    }

    /// A NaN loss at one step skips it (weights untouched), halves the learning rate for the rest of the run,
    /// and training continues.
    func testNonFiniteStepIsSkippedAndBacksOffTheLearningRate() throws {
        let config = smallConfig(temporaryDirectory("skip"), steps: 8)
        var seen: [Int: [String: [UInt32]]] = [:]
        let base = regressionLoss(batchSize: 8)
        let t = try Trainer(model: TinyNet(seed: 1), config: config, loss: { model, step, data in
            seen[step] = weightBits(model)
            let l = try base(model, step, &data)
            return step == 4 ? l * Tensor(Float.nan) : l
        }, progress: ProgressReporter(style: .silent))
        let summary = try t.train()
        XCTAssertEqual(summary.skippedSteps, 1)
        XCTAssertEqual(seen[4], seen[5], "the skipped step changes no parameter")
        XCTAssertNotEqual(seen[5], seen[6])
        XCTAssertEqual(t.learningRateFactor, 0.5)
        XCTAssertEqual(t.consecutiveNonFinite, 0)
        let records = MetricsLog.read(t.metricsURL)
        XCTAssertEqual(records.map(\.skipped), [false, false, false, false, true, false, false, false])
        XCTAssertTrue(records[4].loss.isNaN)
        let schedule = WarmupCosineSchedule(baseLearningRate: 1e-2, warmupSteps: 2, totalSteps: 8, minLearningRate: 1e-3)
        XCTAssertEqual(records[3].learningRate, schedule.learningRate(at: 3))
        XCTAssertEqual(records[4].learningRate, schedule.learningRate(at: 4), "the skipped step reports the rate it would have used")
        XCTAssertEqual(records[5].learningRate, schedule.learningRate(at: 5) * 0.5)
    }

    /// An absurd learning rate without clipping drives the loss to Inf/NaN; after `non_finite_patience` skipped
    /// steps the run stops with `diverged`, and the last checkpoint still loads.
    func testAbsurdLearningRateDivergesAndKeepsTheLastCheckpoint() throws {
        var config = smallConfig(temporaryDirectory("diverge"), steps: 20)
        config.learningRate = 1e30
        config.minLearningRate = 0
        config.warmupSteps = 0
        config.clipNorm = 0
        config.nonFinitePatience = 3
        config.checkpointEvery = 1
        let t = try trainer(config)
        do {
            try t.train()
            XCTFail("an absurd learning rate should diverge")
        } catch {
            guard case let .diverged(step, consecutive, lastCheckpoint)? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertEqual(consecutive, 3)
            let records = MetricsLog.read(t.metricsURL)
            XCTAssertEqual(records.count, step)
            XCTAssertEqual(records.suffix(3).map(\.skipped), [true, true, true])
            XCTAssertFalse(records[step - 4].skipped)
            let schedule = WarmupCosineSchedule(baseLearningRate: 1e30, warmupSteps: 0, totalSteps: 20)
            XCTAssertEqual(records.suffix(3).map(\.learningRate), [1, 0.5, 0.25].enumerated().map {
                schedule.learningRate(at: step - 3 + $0.offset) * $0.element
            }, "the rate is halved after each skipped step")
            guard let lastCheckpoint else { return XCTFail("a checkpoint should have been written before diverging") }
            XCTAssertEqual(lastCheckpoint, t.checkpoints.url(step: step - 3),
                           "no checkpoint during the non-finite streak")
            XCTAssertNoThrow(try Checkpoint.load(from: lastCheckpoint))
            let text = "\(error)"
            XCTAssertTrue(text.contains("3 consecutive steps") && text.contains("lower learning_rate")
                          && text.contains("clip_norm") && text.contains(lastCheckpoint.path), text)
        }
        let resumed = try trainer(config, modelSeed: 3)
        XCTAssertEqual(try resumed.resume(), t.step - 3)
    }

    func testUnwritableOutputDirectoryIsATypedErrorNamingThePath() throws {
        let dir = temporaryDirectory("unwritable")
        let file = dir.appendingPathComponent("not-a-directory")
        try Data("x".utf8).write(to: file)
        var config = smallConfig(dir, steps: 2)
        config.outputDir = file.appendingPathComponent("run").path
        XCTAssertThrowsError(try trainer(config).train()) { error in
            guard case .unwritable(let path, _)? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasPrefix(file.path), path)
            XCTAssertTrue("\(error)".contains("output_dir"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["not-a-directory"])
    }
}

/// Collects progress output in tests.
final class MessageLog {
    var lines: [String] = []
}
