import Distributed
import Foundation
import NN
import Optim
import Tensors

/// A config-driven training loop for any `Module`: AdamW with warmup + cosine, gradient clipping, a
/// non-finite guard, atomic checkpoints with exact resume, `metrics.jsonl` and progress on stderr.
///
/// Step `s` (0-based) draws its data from `RandomGenerator(seed: config.seed &+ s)`, so the data order is a
/// pure function of the seed and the step; dropout draws from `Random.generator`, which a fresh run seeds
/// from `config.seed` and a checkpoint saves, so a resumed run continues bit for bit.
///
/// Data parallel under `mpirun` (`communicator.size > 1`): every rank starts from rank 0's weights, its loss
/// is its part of the global batch (scaled so that the ranks' mean is the global loss), the gradients are
/// averaged over the ranks in buckets before clipping and the non-finite guard, batch normalisation uses the
/// statistics of the global batch, and rank 0 alone writes checkpoints, metrics and progress.
public final class Trainer<Model: Module> {
    /// The loss of `model` at a step, drawing its batch from `data`.
    public typealias Loss = (_ model: Model, _ step: Int, _ data: inout RandomGenerator) throws -> Tensor
    /// Evaluation metrics of `model` (run in eval mode, without gradients).
    public typealias Evaluate = (_ model: Model) throws -> [String: Double]

    /// The generator step `step` draws its data from (so a loader can know a later step's batch ahead of it).
    public static func dataGenerator(seed: UInt64, step: Int) -> RandomGenerator { RandomGenerator(seed: seed &+ UInt64(step)) }

    public let model: Model
    public let config: TrainingConfig
    public let optimizer: AdamW
    public let schedule: WarmupCosineSchedule
    public let checkpoints: CheckpointStore
    /// `output_dir/metrics.jsonl`.
    public let metricsURL: URL
    public let progress: ProgressReporter
    /// The ranks training this model together (a world of one outside `mpirun`).
    public let communicator: Communicator

    /// Steps completed.
    public private(set) var step = 0
    /// Product of the non-finite back-offs so far; multiplies the scheduled learning rate.
    public private(set) var learningRateFactor: Float = 1
    /// Non-finite steps in a row so far.
    public private(set) var consecutiveNonFinite = 0
    /// The newest checkpoint written or resumed from.
    public private(set) var lastCheckpoint: URL?
    /// Under mpirun: start each gradient bucket's allreduce during the backward pass as soon as its gradients
    /// are final (`BucketReducer`), rather than all after it. The same result either way.
    public var overlapAllreduce = true
    /// Under mpirun: the size of a gradient bucket (one allreduce), in bytes; PyTorch DDP's default is 25 MB.
    public var bucketBytes = 25 << 20

    private let loss: Loss
    private let evaluate: Evaluate?
    private var elapsedBefore: Double = 0
    private var randomRestored = false

    /// Validates `config` (throwing `TrainingConfigError`) and builds the optimizer over `model`'s parameters.
    public init(model: Model, config: TrainingConfig, loss: @escaping Loss, evaluate: Evaluate? = nil,
                progress: ProgressReporter = ProgressReporter(), communicator: Communicator = .world) throws {
        try config.validate()
        self.communicator = communicator
        self.model = model
        self.config = config
        self.loss = loss
        self.evaluate = evaluate
        self.progress = progress
        optimizer = AdamW(parameters: model, learningRate: config.learningRate, betas: (config.beta1, config.beta2),
                          eps: config.eps, weightDecay: config.weightDecay)
        schedule = WarmupCosineSchedule(baseLearningRate: config.learningRate, warmupSteps: config.warmupSteps,
                                        totalSteps: config.steps, minLearningRate: config.minLearningRate)
        let output = URL(fileURLWithPath: config.outputDir)
        checkpoints = CheckpointStore(directory: output.appendingPathComponent("checkpoints"), keep: config.keepCheckpoints)
        metricsURL = output.appendingPathComponent("metrics.jsonl")
    }

    /// Loads the newest valid checkpoint of `output_dir` (reporting and skipping corrupted ones): weights,
    /// optimizer state, back-off, `Random.generator`. Returns its step, or nil when there is none (a fresh run).
    /// Under mpirun rank 0 reads it and sends it to every rank, so the others need no copy of the run directory.
    @discardableResult
    public func resume() throws -> Int? {
        guard let checkpoint = try newestCheckpoint() else { return nil }
        try model.loadStateDict(checkpoint.model)
        try optimizer.loadStateDict(checkpoint.optimizer)
        let state = checkpoint.state
        step = state.step
        learningRateFactor = state.learningRateFactor
        consecutiveNonFinite = state.consecutiveNonFinite
        elapsedBefore = state.elapsedSeconds
        Random.generator = state.random!
        randomRestored = true
        lastCheckpoint = checkpoint.url
        if communicator.isRoot { progress.message("resumed from \(checkpoint.url.path) at step \(step)") }
        return step
    }

    /// The newest valid checkpoint: this process's, or under mpirun rank 0's, sent as its files to the others.
    private func newestCheckpoint() throws -> Checkpoint? {
        let warn = { (error: TrainingError) in self.progress.message("warning: \(error.description)") }
        guard communicator.size > 1 else { return try checkpoints.loadNewestValid(skipped: warn) }
        let names = [Checkpoint.stateFile, Checkpoint.modelFile, Checkpoint.optimizerFile]
        var found: Checkpoint?, files: [Data] = names.map { _ in Data() }
        let path = String(decoding: try communicator.onRoot("load the checkpoint to resume from") {
            found = try checkpoints.loadNewestValid(skipped: warn)
            guard let url = found?.url else { return Data() }
            files = try names.map { try Data(contentsOf: url.appendingPathComponent($0)) }
            return Data(url.path.utf8)
        }, as: UTF8.self)
        guard !path.isEmpty else { return nil }
        files = files.map { communicator.broadcast($0) }
        return try found ?? Checkpoint.parse(Dictionary(uniqueKeysWithValues: zip(names, files)), url: URL(fileURLWithPath: path))
    }

    /// Trains from the current step to `stopStep` (default `config.steps`), checkpointing every
    /// `checkpoint_every` steps and at the end (except during a run of skipped non-finite steps). Throws `TrainingError.diverged` after `non_finite_patience`
    /// non-finite steps in a row (the last checkpoint stays on disk), or file errors.
    @discardableResult
    public func train(until stopStep: Int? = nil) throws -> TrainingSummary {
        let end = min(stopStep ?? config.steps, config.steps)
        if step == 0 && !randomRestored {
            guard checkpoints.checkpoints().isEmpty else {
                throw TrainingError.existingCheckpoints(directory: checkpoints.directory.path)
            }
            Random.generator = RandomGenerator(seed: config.seed ^ 0x5EED_D20_0A7D_5EED)
            randomRestored = true
        }
        let parallel = communicator.size > 1, root = communicator.isRoot
        var buckets: GradientBuckets?, shapes: [String: [Int]] = [:]
        if parallel {
            try checkRanksAgree()
            GradientBuckets.broadcast(model.stateDict().sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, over: communicator)
            let trainable = model.trainableParameters()
            buckets = GradientBuckets(parameters: trainable, bucketBytes: bucketBytes)
            shapes = Dictionary(uniqueKeysWithValues: trainable.map { ($0.key, $0.tensor.shape) })
            let communicator = communicator
            Replicas.sum = { communicator.allreduce($0, .sum) }
        }
        // Ranks on one host share its cores.
        let (blasThreads, cores) = (BLAS.threads, Parallel.cores)
        if parallel {
            let share = max(1, ProcessInfo.processInfo.activeProcessorCount / communicator.localSize)
            (BLAS.threads, Parallel.cores) = (share, share)
        }
        defer { if parallel { (Replicas.sum, BLAS.threads, Parallel.cores) = (nil, blasThreads, cores) } }
        let metrics: MetricsLog? = root ? try MetricsLog(url: metricsURL) : nil
        if root { try createDirectory(checkpoints.directory) }
        try metrics?.truncate(after: step)
        let startStep = step, clock = ContinuousClock(), start = clock.now
        func elapsed() -> Double {
            let d = clock.now - start
            return elapsedBefore + Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        var summary = TrainingSummary(startStep: startStep, endStep: startStep, losses: [], skippedSteps: 0,
                                      lastEvaluation: [:], lastCheckpoint: lastCheckpoint, elapsedSeconds: elapsedBefore)
        model.train()
        while step < end {
            let s = step
            var data = Self.dataGenerator(seed: config.seed, step: s)
            let learningRate = schedule.learningRate(at: s) * learningRateFactor
            let reducer = buckets.flatMap { overlapAllreduce ? BucketReducer(buckets: $0, communicator: communicator) : nil }
            let (value, gradients) = try valueAndGrad(model, ready: reducer?.ready) { m in try loss(m, s, &data) }
            var grads = gradients
            var lossValue = value.item
            if let buckets {
                let reduceStart = clock.now
                if let reducer { reducer.finish(into: &grads, shapes: shapes) } else { buckets.average(&grads, shapes: shapes, over: communicator) }
                var mean = [lossValue]
                communicator.allreduce(&mean, .mean)
                lossValue = mean[0]
                let d = clock.now - reduceStart
                summary.allreduceSeconds += Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
            }
            let gradNorm = try clipGradNorm(&grads, maxNorm: config.clipNorm > 0 ? config.clipNorm : .infinity)
            let skipped = !lossValue.isFinite || !gradNorm.isFinite
            if skipped {
                learningRateFactor *= config.nonFiniteBackoff
                consecutiveNonFinite += 1
                summary.skippedSteps += 1
            } else {
                optimizer.learningRate = learningRate
                optimizer.step(grads)
                consecutiveNonFinite = 0
            }
            step += 1
            summary.losses.append(lossValue)
            var record = MetricsRecord(step: step, loss: lossValue, gradNorm: gradNorm, learningRate: learningRate,
                                       skipped: skipped, elapsedSeconds: elapsed())
            if let evaluate, config.evalEvery > 0, step % config.evalEvery == 0 || step == config.steps {
                model.eval()
                defer { model.train() }
                record.eval = try evaluate(model)
                summary.lastEvaluation = record.eval
            }
            try metrics?.append(record)
            if root { progress.update(step: step, total: config.steps, startStep: startStep, elapsed: record.elapsedSeconds - elapsedBefore,
                            loss: lossValue, learningRate: learningRate, gradNorm: gradNorm, skipped: skipped,
                            logEvery: config.logEvery, metrics: summary.lastEvaluation) }
            if skipped && root {
                progress.message("step \(step): non-finite loss \(lossValue) or gradient norm \(gradNorm); step skipped, "
                                 + "learning rate factor now \(learningRateFactor)")
            }
            if skipped && consecutiveNonFinite >= config.nonFinitePatience {
                throw TrainingError.diverged(step: step, consecutive: consecutiveNonFinite, lastCheckpoint: lastCheckpoint)
            }
            // No checkpoint inside a non-finite streak: the newest one on disk stays a healthy state.
            if root, consecutiveNonFinite == 0, step == end || (config.checkpointEvery > 0 && step % config.checkpointEvery == 0) {
                try saveCheckpoint(elapsed: record.elapsedSeconds)
            }
        }
        elapsedBefore = elapsed()
        summary.endStep = step
        summary.lastCheckpoint = lastCheckpoint
        summary.elapsedSeconds = elapsedBefore
        return summary
    }

    /// Every rank must train the same model with the same settings: each field is compared with rank 0's.
    private func checkRanksAgree() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var settings = config
        settings.outputDir = ""
        try communicator.agree([
            ("training config", String(decoding: try encoder.encode(settings), as: UTF8.self)),
            ("output directory", config.outputDir),
            ("parameter shapes", model.stateDict().sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.shape)" }.joined(separator: ", ")),
            ("step to start from", String(step)),
        ])
    }

    private func saveCheckpoint(elapsed: Double) throws {
        let state = TrainerState(step: step, learningRateFactor: learningRateFactor, consecutiveNonFinite: consecutiveNonFinite,
                                 elapsedSeconds: elapsed, random: Random.generator, config: config)
        lastCheckpoint = try checkpoints.save(model: model.stateDict(), optimizer: optimizer.stateDict(), state: state)
    }

    private func createDirectory(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw TrainingError.unwritable(path: url.path, reason: "cannot create the directory (\(error.localizedDescription))")
        }
    }
}
