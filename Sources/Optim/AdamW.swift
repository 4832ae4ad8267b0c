import NN
import Tensors

/// Adam with decoupled weight decay, with torch.optim.AdamW's exact update:
/// `p *= 1 − lr·wd`, then the moment update and bias-corrected step of `AdamMoments`.
/// State: `exp_avg.<key>`, `exp_avg_sq.<key>`, `step.<key>` per updated parameter.
public final class AdamW: Optimizer {
    public var learningRate: Float
    public let betas: (Float, Float)
    public let eps: Float
    public let weightDecay: Float
    private let moments: AdamMoments

    public init(
        parameters module: Module, learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
        eps: Float = 1e-8, weightDecay: Float = 0.01
    ) {
        checkAdamHyperparameters("AdamW", learningRate, betas, eps, weightDecay)
        self.learningRate = learningRate
        self.betas = betas
        self.eps = eps
        self.weightDecay = weightDecay
        moments = AdamMoments(module)
    }

    public func step(_ gradients: [String: Tensor]) {
        moments.step(gradients, op: "AdamW", learningRate: learningRate, betas: betas, eps: eps, l2: 0, decoupled: weightDecay)
    }

    public func stateDict() -> [String: Tensor] { moments.states.stateDict() }

    public func loadStateDict(_ dict: [String: Tensor]) throws { try moments.states.load(dict) }
}
