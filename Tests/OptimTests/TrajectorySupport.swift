import NN
import Optim
import Tensors
import TestSupport
import XCTest

/// The fixture model of `tools/fixtures/fx_optim.py`: Linear(4, 8), ReLU, Linear(8, 3) under keys 0.* and 2.*.
final class TwoLayer: Module {
    let first = Linear(4, 8)
    let second = Linear(8, 3)

    override init() {
        super.init()
        register(module: "0", first)
        register(module: "2", second)
    }

    func callAsFunction(_ x: Tensor) -> Tensor { second(relu(first(x))) }
}

/// The fixture tensors whose key starts with `prefix`, with the prefix removed.
func entries(_ fx: [String: Tensor], _ prefix: String) -> [String: Tensor] {
    var out: [String: Tensor] = [:]
    for (k, v) in fx where k.hasPrefix(prefix) { out[String(k.dropFirst(prefix.count))] = v }
    return out
}

/// Replays a PyTorch optimizer trajectory: 10 steps of mean((model(x) − target)²), checking the loss
/// before and every parameter after each step (≤ 1e-5) and the optimizer state at the end.
/// With `resumeAfter`, model and optimizer are rebuilt from their state dicts (through safetensors bytes)
/// after that step, as a resumed run would be.
func checkTrajectory(
    _ name: String, resumeAfter: Int? = nil, file: StaticString = #filePath, line: UInt = #line,
    _ makeOptimizer: (Module) -> Optimizer
) throws {
    let fx = try Fixture.load(name, file: file)
    var model = TwoLayer()
    try model.loadStateDict(entries(fx, "init."))
    var optimizer = makeOptimizer(model)
    let x = fx.tensor("x"), target = fx.tensor("target")
    for k in 1...10 {
        if k - 1 == resumeAfter {
            let weights = try Safetensors.parse(Safetensors.encode(model.stateDict())).tensors
            let state = try Safetensors.parse(Safetensors.encode(optimizer.stateDict())).tensors
            model = TwoLayer()
            try model.loadStateDict(weights)
            optimizer = makeOptimizer(model)
            try optimizer.loadStateDict(state)
        }
        let identities = model.namedParameters().map { ObjectIdentifier($0.tensor) }
        let (loss, grads) = valueAndGrad(model) { m in
            let d = sub(m(x), target)
            return mean(mul(d, d))
        }
        assertClose(loss, fx.tensor("loss\(k)"), "\(name) loss before step \(k)", file: file, line: line)
        optimizer.step(grads)
        XCTAssertEqual(model.namedParameters().map { ObjectIdentifier($0.tensor) }, identities, "updated in place", file: file, line: line)
        for (key, p) in model.namedParameters() {
            assertClose(p, fx.tensor("step\(k).\(key)"), rtol: 1e-5, atol: 1e-6, "\(name) \(key) after step \(k)", file: file, line: line)
        }
    }
    let expected = entries(fx, "state.")
    let state = optimizer.stateDict()
    XCTAssertEqual(Set(state.keys), Set(expected.keys), "\(name) state keys", file: file, line: line)
    for (key, value) in expected where state[key] != nil {
        assertClose(state[key]!, value, rtol: 1e-5, atol: 1e-6, "\(name) state \(key)", file: file, line: line)
    }
}
