import NN
import Tensors

/// Adam with L2 weight decay added to the gradient, with torch.optim.Adam's exact update
/// (`g += wd·p`, then the moment update and bias-corrected step of `AdamMoments`).
/// State: `exp_avg.<key>`, `exp_avg_sq.<key>`, `step.<key>` per updated parameter.
public final class Adam: Optimizer {
    public var learningRate: Float
    public let betas: (Float, Float)
    public let eps: Float
    public let weightDecay: Float
    private let moments: AdamMoments

    public init(
        parameters module: Module, learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
        eps: Float = 1e-8, weightDecay: Float = 0
    ) {
        checkAdamHyperparameters("Adam", learningRate, betas, eps, weightDecay)
        self.learningRate = learningRate
        self.betas = betas
        self.eps = eps
        self.weightDecay = weightDecay
        moments = AdamMoments(module)
    }

    public func step(_ gradients: [String: Tensor]) {
        moments.step(gradients, op: "Adam", learningRate: learningRate, betas: betas, eps: eps, l2: weightDecay, decoupled: 0)
    }

    public func stateDict() -> [String: Tensor] { moments.states.stateDict() }

    public func loadStateDict(_ dict: [String: Tensor]) throws { try moments.states.load(dict) }
}

/// Stops on hyperparameters torch.optim.Adam/AdamW refuse.
func checkAdamHyperparameters(_ op: String, _ lr: Float, _ betas: (Float, Float), _ eps: Float, _ wd: Float) {
    precondition(lr >= 0 && eps >= 0 && wd >= 0, "\(op): learningRate \(lr), eps \(eps) and weightDecay \(wd) must be ≥ 0")
    precondition((0..<1).contains(betas.0) && (0..<1).contains(betas.1), "\(op): betas \(betas) must lie in [0, 1)")
}
