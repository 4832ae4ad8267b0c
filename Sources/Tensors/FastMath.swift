/// Branch-free scalar kernels for hot element-wise loops: no libm calls, so loops over them vectorize.

/// e^x for x in [−87, 88] (clamped outside), Cephes `expf`: range reduction by ln 2, degree-6
/// polynomial, exponent written into the bits; ≤ 2 ulp. NaN gives NaN.
@inline(__always)
func fastExp(_ x: Float) -> Float {
    let input = x
    let x = x.isNaN ? 0 : Swift.min(Swift.max(x, -87), 88)
    // Round to nearest by adding and removing 1.5·2²³ (no libm call, so the loop vectorizes).
    let n = (x * 1.44269504088896341 + 12_582_912) - 12_582_912
    let r = x - n * 0.693359375 + n * 2.12194440e-4
    var p: Float = 1.9875691500e-4
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let y = p * r * r + r + 1
    let value = y * Float(bitPattern: UInt32(truncatingIfNeeded: Int32(n) + 127) << 23)
    return input.isNaN ? input : value
}

/// Exact-form GELU x·Φ(x) = ½·x·(1 + erf(x/√2)), with erf from Abramowitz & Stegun 7.1.26 (absolute
/// error ≤ 1.5e-7, the form PyTorch's vectorized CPU erf uses). 1 + erf is formed from the erfc term
/// directly for negative inputs, so there is no cancellation: absolute error < 5e-7 over all x.
@inline(__always)
func geluErf(_ x: Float) -> Float {
    let z = Swift.abs(x) * 0.7071067811865476
    let t = 1 / (1 + 0.3275911 * z)
    var p: Float = 1.061405429
    p = p * t - 1.453152027
    p = p * t + 1.421413741
    p = p * t - 0.284496736
    p = p * t + 0.254829592
    let erfc = p * t * fastExp(-z * z)
    return 0.5 * x * (x >= 0 ? 2 - erfc : erfc)
}

/// `geluErf` over a tensor: a plain loop over raw pointers (vectorized), split across cores when large.
func geluErfForward(_ x: Tensor) -> Tensor {
    let out = Tensor(uninitialized: x.shape)
    let o = out.mutableData, p = x.data
    Parallel.forEach(x.count) { r in
        for i in r { o[i] = geluErf(p[i]) }
    }
    return out
}
