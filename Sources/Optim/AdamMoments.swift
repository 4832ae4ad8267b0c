import Foundation
import NN
import Tensors

/// The state and fused update shared by `Adam` and `AdamW`: per parameter the first and second moments
/// (`exp_avg.<key>`, `exp_avg_sq.<key>`) and its own step count (`step.<key>`), as in torch.optim.Adam.
struct AdamMoments {
    let states: ParameterStates

    init(_ module: Module) {
        states = ParameterStates(module, bufferNames: ["exp_avg", "exp_avg_sq"], savesStep: true)
    }

    /// One Adam step for every parameter with a gradient, one fused loop per parameter:
    /// `g += l2·p; p *= 1 − lr·decoupled; m += (1−β1)(g − m); v = β2·v + (1−β2)·g²;
    /// p −= lr/bc1 · m / (√v/√bc2 + eps)`.
    func step(
        _ gradients: [String: Tensor], op: String, learningRate lr: Float, betas: (Float, Float), eps: Float,
        l2: Float, decoupled: Float
    ) {
        let (beta1, beta2) = betas
        let (a1, a2) = (1 - beta1, 1 - beta2)
        let keep = Float(1 - Double(lr) * Double(decoupled))
        states.forEachGradient(gradients, op: op) { i, param, grad in
            let buffers = states.buffers(i)
            states.steps[i] += 1
            let t = Double(states.steps[i])
            let bc1 = 1 - Foundation.pow(Double(beta1), t), bc2 = 1 - Foundation.pow(Double(beta2), t)
            let stepSize = Float(Double(lr) / bc1), bc2Sqrt = Float(bc2.squareRoot())
            let p = param.mutableData, g = grad.data, m = buffers[0].mutableData, v = buffers[1].mutableData
            Parallel.forEach(param.count) { r in
                for j in r {
                    let pj = p[j], gj = g[j] + l2 * pj
                    let mj = m[j] + a1 * (gj - m[j])
                    let vj = v[j] * beta2 + a2 * gj * gj
                    m[j] = mj
                    v[j] = vj
                    p[j] = pj * keep - stepSize * (mj / (vj.squareRoot() / bc2Sqrt + eps))
                }
            }
        }
    }
}
