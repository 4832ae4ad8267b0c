import NN
import Tensors

/// An optimizer updates a module's parameters in place from gradients keyed by dotted parameter path.
public protocol Optimizer: AnyObject {
    /// Learning rate used by the next `step`.
    var learningRate: Float { get set }
    /// Applies one update to every parameter that has a gradient.
    func step(_ gradients: [String: Tensor])
}
