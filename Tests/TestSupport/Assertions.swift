import Tensors
import XCTest

/// Largest |a−b| / (atol/rtol + |b|)-style error: passes when |a−b| ≤ atol + rtol·|b| everywhere.
public func assertClose(
    _ actual: Tensor, _ expected: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6, _ what: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.shape, expected.shape, "\(what): shape", file: file, line: line)
    guard actual.shape == expected.shape else { return }
    var worst: Float = 0, worstIndex = 0
    for i in 0..<actual.count {
        let a = actual.data[i], e = expected.data[i]
        let excess = a == e ? 0 : abs(a - e) - (atol + rtol * abs(e))
        if excess.isNaN || excess > worst { worst = excess.isNaN ? .infinity : excess; worstIndex = i }
    }
    XCTAssertLessThanOrEqual(
        worst, 0,
        "\(what): element \(worstIndex) is \(actual.data[worstIndex]), expected \(expected.data[worstIndex]) (rtol \(rtol), atol \(atol))",
        file: file, line: line)
}

/// Compares an op with its PyTorch fixture `<name>.safetensors`: inputs `x0, x1, …` (differentiable),
/// output `out`, upstream gradient `gout` and input gradients `grad0, grad1, …` (absent = not checked).
/// `body` gets the differentiable inputs and the whole fixture (for indices, masks, options).
public func checkOp(
    _ name: String, rtol: Float = 1e-5, atol: Float = 1e-6, gradRtol: Float = 1e-4, gradAtol: Float = 1e-5,
    file: StaticString = #filePath, line: UInt = #line,
    _ body: ([Tensor], [String: Tensor]) -> Tensor
) throws {
    let fx = try Fixture.load(name, file: file)
    var inputs: [Tensor] = []
    while let x = fx["x\(inputs.count)"] { inputs.append(x) }
    let gout = fx.tensor("gout")
    let (_, grads) = valueAndGrad(at: inputs) { xs in sum(mul(body(xs, fx), gout)) }
    let out = body(inputs, fx)
    assertClose(out, fx.tensor("out"), rtol: rtol, atol: atol, "\(name) forward", file: file, line: line)
    for (i, g) in grads.enumerated() {
        if let expected = fx["grad\(i)"] {
            assertClose(g, expected, rtol: gradRtol, atol: gradAtol, "\(name) grad of x\(i)", file: file, line: line)
        }
    }
}

/// Finite-difference check of every input gradient of `f` (central differences of
/// `sum(f(x) · w)` for a fixed random `w`, accumulated in Float64).
public func checkGradientsNumerically(
    _ inputs: [Tensor], eps: Float = 1e-2, tolerance: Double = 2e-2, seed: UInt64 = 7,
    file: StaticString = #filePath, line: UInt = #line, _ f: ([Tensor]) -> Tensor
) {
    var rng = RandomGenerator(seed: seed)
    let probe = f(inputs)
    let w = Tensor.randn(probe.shape, using: &rng)
    func loss(_ xs: [Tensor]) -> Double {
        let out = f(xs)
        var acc = 0.0
        for i in 0..<out.count { acc += Double(out.data[i]) * Double(w.data[i]) }
        return acc
    }
    let (_, grads) = valueAndGrad(at: inputs) { xs in sum(mul(f(xs), w)) }
    for (k, x) in inputs.enumerated() {
        let work = inputs.map { $0.copy() }
        let p = work[k].mutableData
        for i in 0..<x.count {
            let saved = p[i]
            p[i] = saved + eps
            let up = loss(work)
            p[i] = saved - eps
            let down = loss(work)
            p[i] = saved
            let numeric = (up - down) / (2 * Double(eps))
            let analytic = Double(grads[k].data[i])
            let err = abs(numeric - analytic) / max(1, abs(numeric))
            if err > tolerance {
                XCTFail("gradient of input \(k) element \(i): analytic \(analytic), numeric \(numeric)", file: file, line: line)
                return
            }
        }
    }
}
