import Foundation
import Training

extension TrainingConfig {
    /// The training commands' defaults when no config file is given: `steps` steps at peak learning rate 7e-4
    /// after 200 warm-up steps, evaluating and checkpointing every 500, a progress line every 50.
    static func commandDefaults(steps: Int) -> TrainingConfig {
        var cfg = TrainingConfig()
        cfg.steps = steps
        cfg.learningRate = 7e-4
        cfg.warmupSteps = 200
        cfg.evalEvery = 500
        cfg.checkpointEvery = 500
        cfg.logEvery = 50
        return cfg
    }

    /// The config of `file` (YAML) or `defaults`, with the flags that were given applied, output in `outputDir`,
    /// the warm-up cut to the steps, validated.
    static func forCommand(file: String?, defaults: TrainingConfig, steps: Int?, learningRate: Float?, evalEvery: Int?,
                           outputDir: String, adjust: (inout TrainingConfig) -> Void = { _ in }) throws -> TrainingConfig {
        var cfg = try file.map { try TrainingConfig.load(from: URL(fileURLWithPath: $0)) } ?? defaults
        if let steps { cfg.steps = steps }
        if let learningRate { cfg.learningRate = learningRate }
        if let evalEvery { cfg.evalEvery = evalEvery }
        adjust(&cfg)
        cfg.outputDir = outputDir
        cfg.warmupSteps = min(cfg.warmupSteps, cfg.steps)
        try cfg.validate()
        return cfg
    }
}
