import Distributed
import Encoders
import Foundation
import Imaging
import NN
import Tensors
import Training

/// One `crossmodal train` run on the user's manifests: builds the model config from the training data (labels,
/// vocabulary, text length), prepares the output directory and both splits (frozen features cached), trains with
/// the `Trainer` (checkpoints, metrics.jsonl, resume) evaluating on the validation split, and writes the bundle
/// (`bundle.json`, `model.safetensors`), `evaluation.json` and PNG curves.
public struct ImageTextRun {
    public var model: ImageTextModelConfig
    public var training: TrainingConfig
    /// Examples per image per classification step (20 = all of a Sort-of-CLEVR image's questions).
    public var textsPerImage = 5
    /// Upper bound of the learned text encoder's positions (texts are cut to it).
    public var maxLearnedTokens = 64
    public var skipBad = false
    /// The label list in logit order (classification); nil sorts the training labels. A fixed order keeps class
    /// indices stable across data sets (e.g. Sort-of-CLEVR's `labels.txt`, the answers in the paper's order).
    public var labelOrder: [String]?
    public var cacheRoot = ModelCache.root()
    /// Batches of images read from files that are built ahead of the training step (0: none, each step
    /// decodes its own), and the threads that decode each of them.
    public var prefetch = 4, workers = 1
    /// Under mpirun: overlap each gradient bucket's allreduce with the backward pass, and the bucket size in
    /// bytes (`Trainer.overlapAllreduce`, `Trainer.bucketBytes`).
    public var overlapAllreduce = true, bucketBytes = 25 << 20

    /// A data source's own training loss, for data whose batches are more than rows of the manifest (fashion
    /// scenes draw a fresh caption and fresh hard negatives for every scene at every step): given the model,
    /// the prepared training data, the pipeline (features of texts made up on the spot) and the batch generator.
    public typealias Objective = (ImageTextModel, ImageTextData, InputPipeline, inout RandomGenerator) throws -> Tensor
    /// nil: `ImageTextLoss` for the task.
    public var objective: Objective?

    /// A data source's own evaluation on the prepared validation data, used instead of `ImageTextEvaluation`:
    /// the figures to log. `final` is true for the evaluation after training (written to `evaluation.json`),
    /// which may cost more than the ones during training (e.g. retrieval over every pair).
    public typealias Evaluation = (_ model: ImageTextModel, _ data: ImageTextData, _ pipeline: InputPipeline, _ final: Bool) throws
        -> [String: Double]
    /// nil: `ImageTextEvaluation`.
    public var evaluation: Evaluation?

    public init(model: ImageTextModelConfig, training: TrainingConfig) {
        (self.model, self.training) = (model, training)
    }

    /// What a finished run returns.
    public struct Result {
        public let bundle: ModelBundle
        public let model: ImageTextModel
        public let evaluation: ImageTextEvaluation?
        /// The figures of the evaluation after training: `evaluation.metrics`, or the data source's own.
        public let metrics: [String: Double]
        public let summary: TrainingSummary
        /// Seconds spent preparing the training split (decoding, frozen features), and training examples per
        /// second once prepared (wall time of the training loop, evaluations included).
        public let prepareSeconds: Double, trainedExamplesPerSecond: Double
    }

    /// The model config for training on `manifest`: its labels (classification; `labelOrder` or sorted), the word vocabulary and
    /// longest text (learned encoder), MiniLM's maximum length otherwise.
    public func configured(for manifest: Manifest) throws -> ImageTextModelConfig {
        var config = model
        if config.task == .classify {
            if let e = manifest.entries.first(where: { $0.label == nil }) {
                throw ManifestError.missingField(path: manifest.url.path, line: e.line, field: "label")
            }
            if let order = labelOrder {
                guard Set(order).count == order.count else {
                    throw ImageTextError.invalidConfig("the label list repeats a label; give each label once")
                }
                let known = Set(order)
                if let e = manifest.entries.first(where: { !known.contains($0.label!) }) {
                    throw ImageTextError.invalidConfig("\(manifest.url.path) line \(e.line): label \"\(e.label!)\" is not in the label list; add it there")
                }
                config.labels = order
            } else {
                config.labels = Set(manifest.entries.compactMap(\.label)).sorted()
            }
        }
        let texts = manifest.entries.map(\.text)
        if config.textEncoder == .learned {
            config.vocabulary = WordVocabulary(texts: texts).words
            config.maxTokens = min(max(texts.map { WordVocabulary.tokens($0).count }.max() ?? 1, 2), maxLearnedTokens)
        } else {
            config.maxTokens = try SentenceEncoder.tokenizer(directory: ModelCache.directory(for: ModelCache.miniLM)).maxLength
        }
        try config.validate()
        return config
    }

    /// Trains on `trainURL` (evaluating on `valURL`) into `training.outputDir`; `existing` says what to do with
    /// a non-empty output directory. `log` gets progress lines.
    public func run(train trainURL: URL, val valURL: URL?, existing: RunDirectory.Existing = .refuse,
                    progress: ProgressReporter = ProgressReporter(), log: @escaping (String) -> Void) throws -> Result {
        try run(train: try Manifest.load(trainURL), val: try valURL.map(Manifest.load), existing: existing, progress: progress, log: log)
    }

    /// Trains on the examples of `trainManifest` (evaluating on `valManifest`): manifest files, or data a
    /// task's generator made in memory.
    public func run(train trainManifest: Manifest, val valManifest: Manifest?, existing: RunDirectory.Existing = .refuse,
                    progress: ProgressReporter = ProgressReporter(), log: @escaping (String) -> Void) throws -> Result {
        let world = Communicator.world, shard = BatchShard(rank: world.rank, count: world.size)
        let log = world.isRoot ? log : { _ in }
        if world.size > 1 && objective != nil {
            throw ImageTextError.unsupported("data-parallel training (mpirun) supports the built-in losses of `crossmodal train`; "
                                             + "this data source's own training loss runs in one process")
        }
        let config = try configured(for: trainManifest)
        let out = URL(fileURLWithPath: training.outputDir)
        let bundle = ModelBundle(model: config, training: training, textsPerImage: textsPerImage,
                                 trainManifest: trainManifest.name, trainManifestKey: trainManifest.key, valManifest: valManifest?.name)
        if world.size > 1 {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try world.agree([("training data", "\(trainManifest.name) (content \(trainManifest.key))"),
                             ("validation data", valManifest.map { "\($0.name) (content \($0.key))" } ?? "none"),
                             ("model config", String(decoding: try encoder.encode(config), as: UTF8.self))])
        }
        // Rank 0 alone prepares the output directory and writes files; the others wait for it.
        let resuming = try world.onRoot("prepare the output directory \(out.path)") {
            let resuming = try RunDirectory.prepare(out, for: bundle, existing: existing)
            try bundle.write(to: out)
            return Data([resuming ? 1 : 0])
        } == Data([1])

        let pipeline = InputPipeline(config: config, cacheRoot: cacheRoot, log: log)
        let start = Date()
        let train = try pipeline.prepare(trainManifest, skipBad: skipBad)
        let prepareSeconds = Date().timeIntervalSince(start)
        log(String(format: "training data: %d examples, %d images (prepared in %.1f s)", train.count, train.imageCount, prepareSeconds))
        let imagesPerBatch = config.task == .match ? min(training.batchSize, train.imageCount) : training.batchSize
        if imagesPerBatch < world.size {
            throw ImageTextError.invalidConfig("a batch of \(imagesPerBatch) image\(imagesPerBatch == 1 ? "" : "s") cannot be shared by \(world.size) ranks: "
                                               + "each rank needs at least one image of every batch; raise --batch-size or start fewer ranks")
        }
        let val = try valManifest.map { try pipeline.prepare($0, skipBad: skipBad) }
        if let val {
            let unseen = val.entries.indices.filter { val.labels[$0] < 0 && val.entries[$0].label != nil }
            if !unseen.isEmpty {
                let names = Set(unseen.compactMap { val.entries[$0].label }).sorted()
                log("validation: \(unseen.count) examples have labels training never saw (\(names.prefix(10).joined(separator: ", "))"
                    + "\(names.count > 10 ? ", …" : "")); they count as wrong")
            }
        }

        Random.seed(training.seed)
        let model = try ImageTextModel(
            config: config,
            efficientNet: config.finetuneEncoders && config.imageEncoder == .efficientNetLite0 ? try PretrainedEncoders.efficientNet() : nil,
            bert: config.finetuneEncoders && config.textEncoder == .minilm ? try PretrainedEncoders.bert() : nil)
        let (task, imagesPerStep, textsPerImage) = (config.task, training.batchSize, self.textsPerImage)
        let (objective, custom) = (self.objective, self.evaluation)
        let seed = training.seed
        let prefetcher = objective == nil && prefetch > 0 && train.streams
            ? BatchPrefetcher(depth: prefetch, workers: workers, data: train, plan: { step in
                var generator = Trainer<ImageTextModel>.dataGenerator(seed: seed, step: step)
                return task == .classify
                    ? shard.part(of: ImageTextLoss.classificationDraw(data: train, imagesPerStep: imagesPerStep, textsPerImage: textsPerImage,
                                                                      using: &generator)).images
                    : shard.part(of: ImageTextLoss.matchingDraw(data: train, batchSize: imagesPerStep, using: &generator).images)
            }) : nil
        defer { prefetcher?.stop() }
        let trainer = try Trainer(
            model: model, config: training,
            loss: { model, step, data in
                if let objective { return try objective(model, train, pipeline, &data) }
                let prefetched = { (indices: [Int]) in try prefetcher?.images(for: indices, step: step) }
                return task == .classify
                    ? try ImageTextLoss.classification(model, data: train, imagesPerStep: imagesPerStep, textsPerImage: textsPerImage,
                                                       shard: shard, prefetched: prefetched, using: &data)
                    : try ImageTextLoss.matching(model, data: train, batchSize: imagesPerStep, shard: shard, prefetched: prefetched, using: &data)
            },
            evaluate: val.map { val in { model in
                try Self.recomputeBatchNormStatistics(model, on: train)
                if let custom { return try custom(model, val, pipeline, false) }
                return try ImageTextEvaluation(model: model, data: val).metrics
            } },
            progress: progress)
        (trainer.overlapAllreduce, trainer.bucketBytes) = (overlapAllreduce, bucketBytes)
        if resuming { try trainer.resume() }
        let before = trainer.step, trainStart = Date()
        let summary = try trainer.train()
        let trainSeconds = Date().timeIntervalSince(trainStart)
        if let prefetcher {
            prefetcher.stop()
            log("loader: \(prefetcher.hits) of \(prefetcher.hits + prefetcher.misses) batches were ready before their step")
        }
        try Self.recomputeBatchNormStatistics(model, on: train)
        if world.isRoot { try ModelBundle.writeWeights(model, to: out) }
        var evaluation: ImageTextEvaluation?, metrics: [String: Double] = [:]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let val, let custom {
            metrics = try custom(model, val, pipeline, true)
            if world.isRoot { try encoder.encode(metrics).write(to: out.appendingPathComponent("evaluation.json"), options: .atomic) }
        } else if let val {
            let e = try ImageTextEvaluation(model: model, data: val)
            (evaluation, metrics) = (e, e.metrics)
            if world.isRoot { try encoder.encode(e).write(to: out.appendingPathComponent("evaluation.json"), options: .atomic) }
        }
        if world.isRoot { try TrainingCurves.write(MetricsLog.read(trainer.metricsURL), to: out) }
        // Examples per step: images × the mean number of texts drawn from an image (one for matching).
        let textsDrawn = task == .classify
            ? Double(train.examplesOfImage.map { min($0.count, textsPerImage) }.reduce(0, +)) / Double(train.imageCount) : 1
        return Result(bundle: bundle, model: model, evaluation: evaluation, metrics: metrics, summary: summary, prepareSeconds: prepareSeconds,
                      trainedExamplesPerSecond: Double(summary.endStep - before) * Double(imagesPerStep) * textsDrawn / max(trainSeconds, 1e-9))
    }

    /// Precise BatchNorm over up to 1,000 training images (a no-op for models without BatchNorm).
    static func recomputeBatchNormStatistics(_ model: ImageTextModel, on data: ImageTextData, images: Int = 1000, batchSize: Int = 50) throws {
        let n = min(images, data.imageCount)
        let starts = Array(stride(from: 0, to: n, by: batchSize))
        try NN.recomputeBatchNormStatistics(model, batches: starts.count) { i in
            _ = model.regions(try data.pixels(Array(starts[i]..<min(starts[i] + batchSize, n))))
        }
    }
}
