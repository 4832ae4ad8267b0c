import NN
import Tensors

/// Stochastic gradient descent with momentum, dampening, L2 weight decay and Nesterov momentum, with
/// torch.optim.SGD's exact update:
/// `d = g + wd·p`; `buf = d` (first step) or `momentum·buf + (1 − dampening)·d`;
/// `d = d + momentum·buf` (Nesterov) or `buf`; `p −= lr·d`.
/// State: `momentum_buffer.<key>` per updated parameter (when momentum ≠ 0).
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float
    public let dampening: Float
    public let weightDecay: Float
    public let nesterov: Bool
    private let states: ParameterStates

    public init(
        parameters module: Module, learningRate: Float, momentum: Float = 0, dampening: Float = 0,
        weightDecay: Float = 0, nesterov: Bool = false
    ) {
        precondition(learningRate >= 0 && momentum >= 0 && weightDecay >= 0,
                     "SGD: learningRate \(learningRate), momentum \(momentum) and weightDecay \(weightDecay) must be ≥ 0")
        precondition(!nesterov || (momentum > 0 && dampening == 0),
                     "SGD: Nesterov momentum needs momentum > 0 (got \(momentum)) and dampening 0 (got \(dampening))")
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        states = ParameterStates(module, bufferNames: ["momentum_buffer"], savesStep: false)
    }

    public func step(_ gradients: [String: Tensor]) {
        let (lr, mu, wd, nesterov) = (learningRate, momentum, weightDecay, nesterov)
        let keep = 1 - dampening
        states.forEachGradient(gradients, op: "SGD") { i, param, grad in
            let p = param.mutableData, g = grad.data, n = param.count
            guard mu != 0 else {
                Parallel.forEach(n) { r in for j in r { p[j] -= lr * (g[j] + wd * p[j]) } }
                return
            }
            let first = states.buffers[i] == nil
            let b = states.buffers(i)[0].mutableData
            Parallel.forEach(n) { r in
                for j in r {
                    let pj = p[j], bj = b[j], d = g[j] + wd * pj  // b is zeros before the first step
                    let buf = first ? d : mu * bj + keep * d
                    b[j] = buf
                    p[j] = pj - lr * (nesterov ? d + mu * buf : buf)
                }
            }
        }
    }

    public func stateDict() -> [String: Tensor] { states.stateDict() }

    public func loadStateDict(_ dict: [String: Tensor]) throws { try states.load(dict) }
}
