// A child process for the kill -9 tests (Tests/TrainingTests/KillResumeTests.swift), not a user tool:
//
//     ReliabilityProbe <output_dir> <steps>
//
// trains a small dropout MLP with the Trainer, writing a checkpoint after every step; resumes from the newest
// valid checkpoint in <output_dir> first. Prints "ready <step>" on stdout once resumed (so the test kills it
// while it trains, not while it starts) and "done <step>" at the end. Errors go to stderr, exit status 1.
import Foundation
import NN
import Tensors
import Training

/// `MLP([16, 64, 64, 1])` with dropout: its checkpoint write (three fsynced files, two directory fsyncs and a
/// rename) takes longer than its training step, so random kills often land inside a write.
final class ProbeNet: Module {
    let mlp: MLP

    override init() {
        Random.seed(42)
        mlp = MLP([16, 64, 64, 1], dropout: 0.1)
        super.init()
        register(module: "mlp", mlp)
    }
}

func run() throws {
    let arguments = CommandLine.arguments
    guard arguments.count == 3, let steps = Int(arguments[2]) else {
        FileHandle.standardError.write(Data("usage: ReliabilityProbe <output_dir> <steps>\n".utf8))
        exit(2)
    }
    var config = TrainingConfig()
    config.steps = steps
    config.batchSize = 16
    config.learningRate = 3e-3
    config.warmupSteps = 2
    config.checkpointEvery = 1
    config.keepCheckpoints = 2
    config.seed = 9
    config.outputDir = arguments[1]
    let trainer = try Trainer(model: ProbeNet(), config: config, loss: { model, _, data in
        let x = Tensor.randn([config.batchSize, 16], using: &data)
        let y = sum(x * x, axes: [1], keepDims: true)
        return mseLoss(model.mlp(x), y)
    }, progress: ProgressReporter(style: .silent))
    let start = try trainer.resume() ?? 0
    FileHandle.standardOutput.write(Data("ready \(start)\n".utf8))
    try trainer.train()
    FileHandle.standardOutput.write(Data("done \(trainer.step)\n".utf8))
}

do {
    try run()
} catch {
    FileHandle.standardError.write(Data("ReliabilityProbe: \(error)\n".utf8))
    exit(1)
}
