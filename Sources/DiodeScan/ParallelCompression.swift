import DiodeHDF5
import Dispatch

/// Compresses chunks for `ResultFile.finish` on several threads at once.
enum ParallelCompression {
    /// `HDF5ChunkFilter.shuffleAndDeflate` of every chunk, in order, on up
    /// to `threads` threads (the scan's workers are idle by then).
    static func shuffleAndDeflate<T: HDF5Scalar>(_ chunks: [[T]], level: Int, threads: Int) throws -> [[UInt8]] {
        let results = UnsafeMutableBufferPointer<Result<[UInt8], HDF5Error>>.allocate(capacity: chunks.count)
        defer {
            results.deinitialize()
            results.deallocate()
        }
        let output = ResultSlots(results)
        let workers = max(1, min(threads, chunks.count))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: worker, to: chunks.count, by: workers) {
                output.store(Result { () throws(HDF5Error) in
                    try HDF5ChunkFilter.shuffleAndDeflate(chunks[index], level: level)
                }, at: index)
            }
        }
        return try results.map { try $0.get() }
    }

    /// Result slots written by the compressing threads.
    // @unchecked Sendable: each index is written by exactly one thread
    // (worker `w` owns the indices ≡ w mod workers) and read only after
    // `concurrentPerform` has returned, which orders those writes before.
    private final class ResultSlots: @unchecked Sendable {
        let slots: UnsafeMutableBufferPointer<Result<[UInt8], HDF5Error>>
        init(_ slots: UnsafeMutableBufferPointer<Result<[UInt8], HDF5Error>>) { self.slots = slots }
        func store(_ result: Result<[UInt8], HDF5Error>, at index: Int) {
            (slots.baseAddress! + index).initialize(to: result)
        }
    }
}
