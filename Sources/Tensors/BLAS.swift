#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// The one seam to the platform BLAS: OpenBLAS's CBLAS on Linux, Accelerate on macOS.
/// Every matmul in the engine goes through `BLAS.sgemm`; transposes use BLAS flags, never copies.
public enum BLAS {
    /// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, row-major, with leading dimensions lda/ldb/ldc.
    @inline(__always)
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if let recorder = GEMMRecorder.active {
            recorder.add(.init(transA: transA, transB: transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc, beta: beta, threads: threads))
        }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Runs `body` with BLAS limited to one thread, for loops that already use every core.
    public static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        let saved = threads
        if saved == 1 { return try body() }
        threads = 1
        defer { threads = saved }
        return try body()
    }

    /// Threads one BLAS call may use (OpenBLAS only; Accelerate manages its own).
    public static var threads: Int {
        get {
            #if canImport(Accelerate)
            return 1
            #else
            return Int(openblas_get_num_threads())
            #endif
        }
        set {
            #if !canImport(Accelerate)
            openblas_set_num_threads(Int32(newValue))
            #endif
        }
    }
}
