import NN
import Tensors

/// An optimizer updates a module's parameters in place from gradients keyed by dotted parameter path.
public protocol Optimizer: AnyObject {
    /// Learning rate used by the next `step`.
    var learningRate: Float { get set }
    /// Applies one update to every parameter that has a gradient.
    func step(_ gradients: [String: Tensor])
    /// The per-parameter state (moment buffers, step counts) keyed `<state>.<parameter key>`, for
    /// checkpoints. The buffers are the live tensors: save them before the next `step`.
    func stateDict() -> [String: Tensor]
    /// Restores state saved by `stateDict()`, copying the values; throws an `OptimizerStateError` naming
    /// every missing, unexpected, mis-shaped or invalid key (and then changes nothing).
    func loadStateDict(_ dict: [String: Tensor]) throws
}
