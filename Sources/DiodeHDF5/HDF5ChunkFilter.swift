import CHDF5

/// HDF5's byte-shuffle and deflate filters applied in memory, to compress a
/// chunk on any thread and store it with `HDF5Dataset.writeRawChunk` (HDF5
/// itself is called from one thread only).
///
/// The result is exactly what HDF5's filter pipeline stores for a chunked
/// dataset created with `.chunked(chunkShape:deflateLevel:)`: the shuffle
/// filter (`H5Z_FILTER_SHUFFLE`) writes byte 0 of every element, then byte 1
/// of every element, …; the deflate filter (`H5Z_FILTER_DEFLATE`) is zlib's
/// `compress2` at the dataset's level. Readers decompress it like any chunk.
public enum HDF5ChunkFilter {
    /// Shuffles the bytes of `elements` and deflates them at `level` (1...9).
    public static func shuffleAndDeflate<T: HDF5Scalar>(_ elements: [T], level: Int) throws(HDF5Error) -> [UInt8] {
        guard (1...9).contains(level) else {
            throw HDF5Error(call: "compress2", object: "chunk", message: "deflate level \(level) is not in 1...9")
        }
        let size = MemoryLayout<T>.size
        let count = elements.count
        var shuffled = [UInt8](repeating: 0, count: count * size)
        elements.withUnsafeBytes { source in
            shuffled.withUnsafeMutableBufferPointer { destination in
                for byte in 0..<size {
                    let plane = byte * count
                    for element in 0..<count {
                        destination[plane + element] = source[element * size + byte]
                    }
                }
            }
        }
        var compressedLength = compressBound(uLong(shuffled.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedLength))
        let status = compressed.withUnsafeMutableBufferPointer { destination in
            shuffled.withUnsafeBufferPointer { source in
                compress2(destination.baseAddress, &compressedLength, source.baseAddress, uLong(source.count), Int32(level))
            }
        }
        guard status == Z_OK else {
            throw HDF5Error(call: "compress2", object: "chunk", message: "zlib error \(status)")
        }
        compressed.removeSubrange(Int(compressedLength)...)
        return compressed
    }
}

extension HDF5Dataset {
    /// Writes one chunk as stored in the file, already passed through every
    /// filter of the dataset (`H5Dwrite_chunk` with filter mask 0), bypassing
    /// HDF5's filter pipeline and selection machinery. `offset` is the
    /// chunk's first element (a multiple of the chunk shape in every
    /// dimension); an edge chunk is stored whole, padded beyond the extent.
    public func writeRawChunk(_ bytes: [UInt8], at offset: [Int]) throws(HDF5Error) {
        let start = offset.map { hsize_t($0) }
        let status = start.withUnsafeBufferPointer { start in
            bytes.withUnsafeBytes { data in
                H5Dwrite_chunk(id, chdf5_p_default(), 0, start.baseAddress, data.count, data.baseAddress)
            }
        }
        try checkStatus(status, "H5Dwrite_chunk", object: name)
    }
}
