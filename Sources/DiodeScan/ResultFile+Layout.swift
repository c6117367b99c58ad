import DiodeHDF5
import Foundation

/// The file format side of `ResultFile`: checking, reading back and writing
/// the layout of docs/ARCHITECTURE.md (axes, datasets, attributes), and
/// copying results between layouts when a scan is finished.
extension ResultFile {
    static func validate(axes: ScanAxes, metadata: ScanMetadata) throws {
        guard axes.dimensions.count >= 2 else {
            throw ResultFileError.invalidAxes(reason: "\(axes.dimensions.count) axes; a result file needs at least two")
        }
        var names = Set<String>()
        for axis in axes.dimensions {
            guard !axis.values.isEmpty else { throw ResultFileError.invalidAxes(reason: "axis \(axis.key) is empty") }
            guard ResultFileLayout.coordinateNames.contains(axis.key) else {
                throw ResultFileError.invalidAxes(reason: "axis \(axis.key) is not a parameter of the model")
            }
            guard names.insert(axis.key).inserted else {
                throw ResultFileError.invalidAxes(reason: "axis \(axis.key) appears twice")
            }
        }
        var seen = Set<String>()
        for parameter in metadata.parameters {
            guard !reservedAttributeNames.contains(parameter.name) else {
                throw ResultFileError.reservedParameterName(parameter.name)
            }
            guard !parameter.name.isEmpty, !parameter.name.contains("/"), !parameter.name.contains("\0") else {
                throw ResultFileError.invalidParameterName(parameter.name, reason: "it must be non-empty, without '/'")
            }
            guard seen.insert(parameter.name).inserted else {
                throw ResultFileError.invalidParameterName(parameter.name, reason: "it appears twice")
            }
        }
    }

    static func open(path: String, readOnly: Bool) throws -> ResultFile {
        let (_, axes, extras, metadata) = try inspect(path: path)
        let file = try openHDF5(path, mode: readOnly ? .readOnly : .readWrite)
        var datasets: [String: HDF5Dataset] = [:]
        let grid = axes.shape
        var expected: [(String, [Int])] = ResultFileLayout.doubleVariables(extras: extras).map {
            ($0.name, $0.perRegion ? grid + [3] : grid)
        }
        expected += ResultFileLayout.int32Variables.map { ($0.name, grid) }
        expected.append((ResultFileLayout.tileDone, axes.outerShape))
        for (name, shape) in expected {
            guard try file.contains(name) else {
                throw ResultFileError.notAResultFile(path: path, reason: "dataset \(name) is missing")
            }
            let dataset = try file.openDataset(name)
            guard try dataset.shape == shape else {
                throw ResultFileError.notAResultFile(
                    path: path, reason: "dataset \(name) has shape \(try dataset.shape), expected \(shape)")
            }
            datasets[name] = dataset
        }
        return ResultFile(path: path, axes: axes, extras: extras, metadata: metadata, file: file, datasets: datasets,
                          readOnly: readOnly)
    }

    /// Reads the stage, axes and metadata of the file at `path`.
    /// First undoes an interrupted in-place change (`ResultFileJournal`).
    static func inspect(path: String) throws -> (stage: String, axes: ScanAxes, extras: [String], metadata: ScanMetadata) {
        try ResultFileJournal.recover(path: path)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ResultFileError.system(call: "open", path: path, message: "no such file")
        }
        let file = try openHDF5(path, mode: .readOnly)
        defer { try? file.close() }
        typealias Root = ResultFileLayout.Root
        func string(_ name: String) throws -> String {
            guard try file.hasAttribute(name), case .string(let value) = try file.attribute(name) else {
                throw ResultFileError.notAResultFile(path: path, reason: "root attribute \(name) is missing")
            }
            return value
        }
        let stage = try string(Root.fileStage)
        guard [ResultFileLayout.Stage.scanning, ResultFileLayout.Stage.finished].contains(stage) else {
            throw ResultFileError.notAResultFile(path: path, reason: "unknown file_stage '\(stage)'")
        }
        let axes = try readAxes(of: file, path: path)
        let extras = try extraNames(in: file)
        let names: [String]
        switch try file.attribute(Root.parameterNames) {
        case .strings(let values): names = values
        case .string(let value): names = [value]
        default: throw ResultFileError.notAResultFile(path: path, reason: "parameter_names is not a list of strings")
        }
        var parameters: [ScanMetadata.Parameter] = []
        for name in names {
            parameters.append(ScanMetadata.Parameter(name, try file.attribute(name)))
        }
        let metadata = ScanMetadata(
            parameters: parameters, jobText: try string(Root.jobText),
            jobFingerprint: try string(Root.jobFingerprint), softwareVersion: try string(Root.softwareVersion),
            sourceRevision: try string(Root.sourceRevision), creationTime: try string(Root.creationTime),
            history: try string(Root.history))
        return (stage, axes, extras, metadata)
    }

    /// The extras a file holds: those whose forward dataset exists (`open`
    /// then requires both of each).
    static func extraNames(in file: HDF5File) throws -> [String] {
        try ResultFileLayout.extras.filter { try file.contains($0.variables[0].name) }.map(\.name)
    }

    /// The grid axes of a file: the dimension scales attached to `I_F`, in
    /// its dimension order (the file stores no separate list of them, so a
    /// file of the paper's three axes has exactly its old layout).
    static func readAxes(of file: HDF5File, path: String) throws -> ScanAxes {
        let reference = ResultFileLayout.doubleVariables[0].name
        guard try file.contains(reference) else {
            throw ResultFileError.notAResultFile(path: path, reason: "dataset \(reference) is missing")
        }
        let variable = try file.openDataset(reference)
        let rank = try variable.shape.count
        var candidates: [(name: String, dataset: HDF5Dataset)] = []
        for name in ResultFileLayout.coordinateNames where try file.contains(name) {
            candidates.append((name, try file.openDataset(name)))
        }
        var dimensions: [ScanAxis] = []
        for dimension in 0..<rank {
            guard let scale = try candidates.first(where: { try variable.isAttached(scale: $0.dataset, toDimension: dimension) })
            else {
                throw ResultFileError.notAResultFile(
                    path: path, reason: "dimension \(dimension) of \(reference) has no grid coordinate attached")
            }
            dimensions.append(ScanAxis(scale.name, try scale.dataset.read(Double.self)))
        }
        guard dimensions.count >= 2 else {
            throw ResultFileError.notAResultFile(path: path, reason: "\(reference) has \(rank) dimensions; expected at least 2")
        }
        return ScanAxes(dimensions)
    }

    /// Builds a complete file at `temporary` (replacing any leftover):
    /// coordinates, datasets (contiguous and preallocated, or `compressed`:
    /// chunked with shuffle + deflate) and attributes of `stage`, then
    /// `fill(file)`, then closes and syncs it. Removes it on failure.
    static func build(
        at temporary: String, for path: String, axes: ScanAxes, extras: [String], metadata: ScanMetadata, stage: String,
        compressed: Bool, fill: (HDF5File) throws -> Void
    ) throws {
        let file: HDF5File
        do {
            file = try HDF5File.create(temporary, mode: .truncate)
        } catch where error.message.contains("unable to lock file") {
            // Another process is building the same file: leave its temporary alone.
            throw ResultFileError.inUse(path: path)
        }
        do {
            try writeLayout(into: file, axes: axes, extras: extras, metadata: metadata, stage: stage, compressed: compressed)
            try fill(file)
        } catch {
            abandon(file, at: temporary)
            throw error
        }
        try seal(file, at: temporary)
    }

    static func writeLayout(
        into file: HDF5File, axes: ScanAxes, extras: [String], metadata: ScanMetadata, stage: String, compressed: Bool
    ) throws {
        typealias Layout = ResultFileLayout
        typealias Root = ResultFileLayout.Root

        // Root attributes (CF style plus provenance).
        try file.setAttribute(Root.conventions, .string("CF-1.8"))
        try file.setAttribute(Root.title, .string("diodescan rectification maps"))
        try file.setAttribute(
            Root.source, .string("diodescan \(metadata.softwareVersion) (\(metadata.sourceRevision))"))
        try file.setAttribute(Root.history, .string(metadata.history))
        try file.setAttribute(Root.fileStage, .string(stage))
        try file.setAttribute(Root.softwareVersion, .string(metadata.softwareVersion))
        try file.setAttribute(Root.sourceRevision, .string(metadata.sourceRevision))
        try file.setAttribute(Root.creationTime, .string(metadata.creationTime))
        try file.setAttribute(Root.jobText, .string(metadata.jobText))
        try file.setAttribute(Root.jobFingerprint, .string(metadata.jobFingerprint))
        try file.setAttribute(Root.statusCodes, .string(Layout.statusCodes))
        try file.setAttribute(Root.tilesTotal, .int(Int64(axes.tileCount)))
        try file.setAttribute(Root.parameterNames, .strings(metadata.parameters.map(\.name)))
        for parameter in metadata.parameters {
            try file.setAttribute(parameter.name, parameter.value)
        }

        // Coordinates as dimension scales.
        func coordinate<T: HDF5Scalar>(_ spec: Layout.Coordinate, _ values: [T]) throws -> HDF5Dataset {
            let dataset = try file.createDataset(spec.name, of: T.self, shape: [values.count])
            try dataset.write(values)
            try dataset.setAttribute("units", .string(spec.units))
            try dataset.setAttribute("long_name", .string(spec.longName))
            try dataset.makeDimensionScale(dimensionName: spec.name)
            return dataset
        }
        // Outermost first, then `region`: the order the paper's files always had.
        let scales = try axes.dimensions.map { try coordinate(Layout.coordinate(for: $0.key), $0.values) }
        let region = try coordinate(Layout.regionCoordinate, Layout.regionValues)

        let grid = axes.shape
        // Uncompressed result datasets are allocated but not filled: writing
        // NaN/−1 into every byte would cost as much as writing the results
        // (144 bytes per point, before the first tile can be computed).
        // `tile_done` = 3 says which tiles hold no values yet.
        func storage(_ shape: [Int]) -> HDF5Layout {
            compressed
                ? .chunked(chunkShape: Layout.chunkShape(for: shape), deflateLevel: Layout.deflateLevel)
                : .contiguousAllocatedUnfilled
        }
        func describe(_ dataset: HDF5Dataset, units: String, longName: String, scales: [HDF5Dataset]) throws {
            try dataset.setAttribute("units", .string(units))
            try dataset.setAttribute("long_name", .string(longName))
            for (dimension, scale) in scales.enumerated() {
                try dataset.attach(scale: scale, toDimension: dimension)
            }
        }
        // Extras come last, after `tile_done` (below): a file without them
        // has the layout files always had.
        func createDoubles(_ variables: [Layout.DoubleVariable]) throws {
        for variable in variables {
            let shape = variable.perRegion ? grid + [3] : grid
            let dataset = try file.createDataset(
                variable.name, of: Double.self, shape: shape, layout: storage(shape), fillValue: .nan)
            try describe(
                dataset, units: variable.units, longName: variable.longName,
                scales: variable.perRegion ? scales + [region] : scales)
        }
        }
        try createDoubles(Layout.doubleVariables)
        for variable in Layout.int32Variables {
            let dataset = try file.createDataset(
                variable.name, of: Int32.self, shape: grid, layout: storage(grid), fillValue: -1)
            try describe(dataset, units: "1", longName: variable.longName, scales: scales)
            if variable.isStatus {
                try dataset.setAttribute(Root.statusCodes, .string(Layout.statusCodes))
                try dataset.setAttribute("flag_values", .ints(Layout.statusFlagValues))
                try dataset.setAttribute("flag_meanings", .string(Layout.statusFlagMeanings))
            }
        }
        let tileShape = axes.outerShape
        let tileDone = try file.createDataset(
            Layout.tileDone, of: UInt8.self, shape: tileShape,
            layout: compressed ? storage(tileShape) : .contiguous(preallocated: true), fillValue: 0)
        if !compressed {
            try tileDone.write([UInt8](repeating: Layout.TileFlag.unwritten, count: axes.tileCount))
        }
        let outerNames = axes.outer.map(\.key).joined(separator: ", ")
        try describe(
            tileDone, units: "1", longName: "1 when the tile (the \(axes.inner.key) line at this \(outerNames)) is complete",
            scales: Array(scales.dropLast()))
        try tileDone.setAttribute("flag_values", .ints(Layout.TileFlag.all.map(Int64.init)))
        try tileDone.setAttribute("flag_meanings", .string(Layout.TileFlag.meanings))
        try createDoubles(Layout.doubleVariables(extras: extras).dropFirst(Layout.doubleVariables.count).map { $0 })
        try file.flush()
    }

    /// Copies every result dataset from `source` to `destination` (same
    /// axes), in blocks of whole chunks of the compressed layout (memory
    /// independent of the grid). Tiles whose `tile_done` flag is not 1 are
    /// written as fill values with flag 0, whatever partial values `source`
    /// holds.
    ///
    /// With `compressingOn` threads (a compressed `destination`), the main
    /// thread reads a group of chunks, the threads shuffle and deflate them
    /// at once (zlib only: `HDF5ChunkFilter`, no HDF5 call), and the main
    /// thread stores them with `H5Dwrite_chunk`: the files are the same as
    /// through HDF5's own (serial) filter pipeline, in a fraction of the time.
    static func copyResults(
        from source: HDF5File, to destination: HDF5File, axes: ScanAxes, extras: [String], compressingOn threads: Int? = nil
    ) throws {
        typealias Layout = ResultFileLayout
        let outerShape = axes.outerShape
        let outerCount = outerShape.count
        let nE1 = axes.pointsPerTile
        let done = try source.openDataset(Layout.tileDone).read(UInt8.self).map {
            $0 == Layout.TileFlag.done ? Layout.TileFlag.done : Layout.TileFlag.notDone
        }
        try destination.openDataset(Layout.tileDone).write(done)
        /// Row-major offset of `index` in a box of `sizes`.
        func offset(_ index: [Int], in sizes: [Int]) -> Int {
            zip(index, sizes).reduce(0) { $0 * $1.1 + $1.0 }
        }
        /// Every index of a box of `sizes`, row-major.
        func box(_ sizes: [Int]) -> [[Int]] {
            sizes.reduce([[]]) { prefixes, size in prefixes.flatMap { prefix in (0..<size).map { prefix + [$0] } } }
        }
        func copy<T: HDF5Scalar>(_ name: String, _ type: T.Type, perPoint: Int, fill: T) throws {
            let trailing = perPoint == 1 ? [nE1] : [nE1, perPoint]
            let shape = outerShape + trailing
            let block = Layout.chunkShape(for: shape)
            let outerBlock = Array(block[..<outerCount])
            let from = try source.openDataset(name)
            let to = try destination.openDataset(name)
            let tileLength = nE1 * perPoint
            // Chunks are cut along the outer axes only (whole tiles) unless a
            // tile alone exceeds the chunk target; then HDF5 compresses.
            let rawChunks = threads.flatMap { block[outerCount...] == shape[outerCount...] ? max(1, $0) : nil }
            // Chunk k's first tile, row-major over the chunk grid (computed,
            // not listed: a grid may have millions of chunks).
            let chunkCounts = zip(outerShape, outerBlock).map { ($0 + $1 - 1) / $1 }
            let chunkTotal = chunkCounts.reduce(1, *)
            func origin(_ k: Int) -> [Int] {
                var rest = k
                var index = [Int](repeating: 0, count: outerCount)
                for position in (0..<outerCount).reversed() {
                    index[position] = rest % chunkCounts[position] * outerBlock[position]
                    rest /= chunkCounts[position]
                }
                return index
            }
            let group = 4 * (rawChunks ?? 1)
            for first in stride(from: 0, to: chunkTotal, by: group) {
                var chunks: [[T]] = []
                for origin in (first..<min(first + group, chunkTotal)).map(origin) {
                    let sizes = zip(zip(outerBlock, outerShape), origin).map { Swift.min($0.0, $0.1 - $1) }
                    let start = origin + [Int](repeating: 0, count: trailing.count)
                    let count = sizes + trailing
                    var slab = try from.read(T.self, start: start, count: count)
                    let tiles = box(sizes)
                    for (line, index) in tiles.enumerated()
                    where done[offset(zip(origin, index).map(+), in: outerShape)] != Layout.TileFlag.done {
                        let at = line * tileLength
                        slab.replaceSubrange(at..<(at + tileLength), with: repeatElement(fill, count: tileLength))
                    }
                    guard rawChunks != nil else {
                        try to.write(slab, start: start, count: count)
                        continue
                    }
                    // An edge chunk is stored whole: pad it with fill values.
                    var chunk = [T](repeating: fill, count: outerBlock.reduce(1, *) * tileLength)
                    for (line, index) in tiles.enumerated() {
                        let at = offset(index, in: outerBlock) * tileLength
                        chunk.replaceSubrange(at..<(at + tileLength),
                                              with: slab[(line * tileLength)..<((line + 1) * tileLength)])
                    }
                    chunks.append(chunk)
                }
                guard let threads = rawChunks else { continue }
                let compressed = try ParallelCompression.shuffleAndDeflate(chunks, level: Layout.deflateLevel, threads: threads)
                for (index, bytes) in compressed.enumerated() {
                    try to.writeRawChunk(bytes, at: origin(first + index) + [Int](repeating: 0, count: trailing.count))
                }
            }
        }
        for variable in Layout.doubleVariables(extras: extras) {
            try copy(variable.name, Double.self, perPoint: variable.perRegion ? 3 : 1, fill: .nan)
        }
        for variable in Layout.int32Variables {
            try copy(variable.name, Int32.self, perPoint: 1, fill: -1)
        }
    }
}
