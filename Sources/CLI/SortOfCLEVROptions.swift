import ArgumentParser
import Foundation
import Encoders
import Tasks
import Training

/// Which question encoder `sort-of-clevr` commands use.
enum TextEncoderChoice: String, ExpressibleByArgument, CaseIterable { case learned, minilm }

/// Options shared by `sort-of-clevr train`, `eval` and `reproduce`: where the data and the training config come from.
struct SortOfCLEVROptions: ParsableArguments {
    @Option(help: "A data set written by `sort-of-clevr generate` (default: generate in memory from --data-seed).")
    var data: String?

    @Option(help: "Training images to generate in memory (ignored with --data).")
    var trainImages = SortOfCLEVR.trainImages

    @Option(help: "Seed of the generated data set.")
    var dataSeed: UInt64 = 0

    @Option(help: "Training config (YAML, see docs/training-config.md); flags below override it.")
    var config: String?

    @Option(help: "Training steps.")
    var steps: Int?

    @Option(help: "Peak learning rate (default 7e-4; 1e-3 with `reproduce --quick`).")
    var learningRate: Float?

    @Option(help: "Images per step (the CNN runs once per image).")
    var imagesPerStep = 32

    @Option(help: "Questions drawn from each image per step (20 = all): fewer questions from more images gives the CNN more images per step at the same cost.")
    var questionsPerImage = 5

    @Option(help: "Fusion and question-encoder width.")
    var width = 64

    @Option(help: "Question encoder: learned (a small Transformer trained with the model) or minilm (frozen all-MiniLM-L6-v2; `make models`).")
    var textEncoder: TextEncoderChoice = .learned

    @Option(help: "Evaluate on the test split every this many steps (0 = only at the end).")
    var evalEvery: Int?

    @Option(help: "Output directory (checkpoints, metrics, results, plots).")
    var out = "runs/sort-of-clevr"

    /// The experiment these options describe, with the data loaded or generated.
    func experiment() throws -> SortOfCLEVRExperiment {
        let cfg = try TrainingConfig.forCommand(file: config, defaults: Self.defaultConfig, steps: steps, learningRate: learningRate,
                                                evalEvery: evalEvery, outputDir: out)
        let (train, test): (SortOfCLEVRDataset, SortOfCLEVRDataset)
        if let data {
            let url = URL(fileURLWithPath: data)
            (train, test) = (try SortOfCLEVRFiles.load(url, split: .train), try SortOfCLEVRFiles.load(url, split: .test))
        } else {
            train = SortOfCLEVRDataset.generate(count: trainImages, seed: dataSeed, split: .train)
            test = SortOfCLEVRDataset.generate(count: SortOfCLEVR.testImages, seed: dataSeed, split: .test)
        }
        var experiment = SortOfCLEVRExperiment(train: train, test: test, config: cfg)
        experiment.imagesPerStep = imagesPerStep
        experiment.questionsPerImage = questionsPerImage
        experiment.width = width
        if textEncoder == .minilm {
            experiment.frozenText = FrozenTextFeatures(encoder: try SentenceEncoder.miniLM(), texts: SortOfCLEVR.allQuestionTexts)
        }
        return experiment
    }

    /// Defaults when no config file is given.
    static var defaultConfig: TrainingConfig { .commandDefaults(steps: 15000) }
}
