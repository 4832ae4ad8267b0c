import NN
import Tensors
import TestSupport
import XCTest

/// Parameter discovery, state dicts, modes, freezing and `valueAndGrad(model)`.
final class ModuleTests: XCTestCase {
    private final class Pair: Module {
        let first = Linear(3, 4)
        let second = Linear(4, 2, bias: false)
        override init() {
            super.init()
            register(module: "first", first)
            register(module: "second", second)
        }
        func callAsFunction(_ x: Tensor) -> Tensor { second(relu(first(x))) }
    }

    func testDottedKeysFollowRegistrationOrder() {
        XCTAssertEqual(Pair().namedParameters().map(\.key), ["first.weight", "first.bias", "second.weight"])
        let seq = Sequential([Linear(2, 3), Linear(3, 1)])
        XCTAssertEqual(seq.namedParameters().map(\.key), ["0.weight", "0.bias", "1.weight", "1.bias"])
    }

    func testLinearInitMatchesPyTorchBounds() {
        Random.seed(1)
        let l = Linear(100, 50)
        let bound: Float = 0.1
        XCTAssertTrue(l.weight.scalars.allSatisfy { abs($0) <= bound })
        XCTAssertTrue(l.bias!.scalars.allSatisfy { abs($0) <= bound })
        XCTAssertGreaterThan(l.weight.scalars.map(abs).max()!, 0.09, "uniform over the whole range")
    }

    func testSameSeedSameInit() {
        Random.seed(42)
        let a = Pair().stateDict()
        Random.seed(42)
        let b = Pair().stateDict()
        for (k, v) in a { XCTAssertEqual(v.scalars, b[k]!.scalars, k) }
    }

    func testStrictLoadNamesEveryMissingUnexpectedAndMisshapedKey() {
        let model = Pair()
        var dict = model.stateDict()
        dict["first.bias"] = nil
        dict["third.weight"] = Tensor(zeros: [1])
        dict["second.weight"] = Tensor(zeros: [3, 3])
        XCTAssertThrowsError(try model.loadStateDict(dict)) { error in
            let e = error as! StateDictError
            XCTAssertEqual(e.missing, ["first.bias"])
            XCTAssertEqual(e.unexpected, ["third.weight"])
            XCTAssertEqual(e.mismatched.map(\.key), ["second.weight"])
            XCTAssertTrue(e.description.contains("expected shape [2, 4], found [3, 3]"), e.description)
        }
    }

    func testLoadCopiesValuesInPlaceAndNonStrictSkipsMissing() throws {
        let a = Pair(), b = Pair()
        let weight = b.first.weight
        try b.loadStateDict(a.stateDict())
        XCTAssertTrue(weight === b.first.weight, "parameter identity is kept")
        XCTAssertEqual(b.first.weight.scalars, a.first.weight.scalars)
        var partial = a.stateDict()
        partial["second.weight"] = nil
        XCTAssertNoThrow(try b.loadStateDict(partial, strict: false))
    }

    func testTrainEvalPropagatesToChildren() {
        let m = Pair()
        m.eval()
        XCTAssertFalse(m.first.isTraining)
        m.train()
        XCTAssertTrue(m.second.isTraining)
    }

    func testValueAndGradKeysByPathAndSkipsFrozen() {
        let m = Pair()
        let x = Tensor(shape: [2, 3], [1, 2, 3, -1, 0, 1])
        let (loss, grads) = valueAndGrad(m) { m in sum(m(x)) }
        XCTAssertEqual(Set(grads.keys), ["first.weight", "first.bias", "second.weight"])
        XCTAssertFalse(loss.requiresGrad)
        m.freeze(["first."])
        let (_, frozen) = valueAndGrad(m) { m in sum(m(x)) }
        XCTAssertEqual(Set(frozen.keys), ["second.weight"])
        XCTAssertEqual(frozen["second.weight"]!.scalars, grads["second.weight"]!.scalars)
    }

    func testSharedParameterAccumulatesBothUses() {
        let l = Linear(2, 2, bias: false)
        let x = Tensor(shape: [1, 2], [1, 2])
        let (_, twice) = valueAndGrad(l) { l in sum(l(l(x))) }
        // d/dW of sum(W W x): analytic = 1ᵀ ⊗ (W x) + (Wᵀ 1) ⊗ x
        let w = l.weight.scalars, wx = [w[0] + 2 * w[1], w[2] + 2 * w[3]]
        let wt1 = [w[0] + w[2], w[1] + w[3]]
        let expected = [wx[0] + wt1[0] * 1, wx[1] + wt1[0] * 2, wx[0] + wt1[1] * 1, wx[1] + wt1[1] * 2]
        assertClose(twice["weight"]!, Tensor(shape: [2, 2], expected))
    }
}
