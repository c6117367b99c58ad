import DiodeHDF5
import Foundation

/// The HDF5 file a scan writes: the layout of docs/ARCHITECTURE.md, written
/// tile by tile, resumable after a crash at any moment.
///
/// ## Crash safety
/// While scanning, the file is in the *scanning* stage: every dataset,
/// coordinate and attribute is created up front, the result datasets are
/// contiguous and preallocated (filled with NaN/−1 at creation), and the file
/// is published under its final name only once it is complete (it is built as
/// `<path>.creating` and hard-linked into place). After that, writing a tile
/// only overwrites bytes at fixed offsets: the file's metadata never changes,
/// so a process killed at any moment leaves a valid file. `write(_:for:)`
/// writes a tile's values, flushes, then sets the tile's `tile_done` flag and
/// flushes again, so a set flag always means complete values; a tile killed
/// half-way is simply recomputed on resume.
///
/// `finish(run:)` rewrites the file into the *finished* stage: the same
/// datasets chunked and deflate-compressed, plus the run's attributes, built
/// as `<path>.finishing` and renamed over the scanning file (atomic: a crash
/// leaves the complete scanning file). `openForResume` accepts either stage;
/// a finished file is converted back to the scanning stage first.
///
/// All calls must come from one thread (HDF5 is used single-threaded).
public final class ResultFile {
    /// The file's path.
    public let path: String
    /// The scan grid stored in the file's coordinates.
    public let axes: ScanAxes
    /// The provenance stored in the file (parameters, job text, fingerprint,
    /// version, history).
    public private(set) var storedMetadata: ScanMetadata
    /// Whether the file was opened only for reading.
    public let isReadOnly: Bool

    private var file: HDF5File?
    private var datasets: [String: HDF5Dataset]

    /// Root attribute names that parameters may not use.
    public static var reservedAttributeNames: Set<String> { ResultFileLayout.Root.all }

    private init(
        path: String, axes: ScanAxes, metadata: ScanMetadata, file: HDF5File,
        datasets: [String: HDF5Dataset], readOnly: Bool
    ) {
        self.path = path
        self.axes = axes
        self.storedMetadata = metadata
        self.file = file
        self.datasets = datasets
        self.isReadOnly = readOnly
    }

    // MARK: Creating and opening

    /// Creates a new result file for a scan over `axes`.
    ///
    /// - Throws: `ResultFileError.fileExists` if `path` exists and
    ///   `overwrite` is false; `ResultFileError.invalidAxes` or
    ///   `.reservedParameterName` for bad input; `HDF5Error` or
    ///   `ResultFileError.system` if the file cannot be written.
    public static func create(path: String, axes: ScanAxes, metadata: ScanMetadata, overwrite: Bool) throws -> ResultFile {
        try validate(axes: axes, metadata: metadata)
        if !overwrite && FileManager.default.fileExists(atPath: path) {
            throw ResultFileError.fileExists(path: path)
        }
        let directory = (path as NSString).deletingLastPathComponent
        let parent = directory.isEmpty ? "." : directory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ResultFileError.cannotCreate(path: path, reason: "directory '\(parent)' does not exist")
        }
        guard access(parent, W_OK) == 0 else {
            throw ResultFileError.cannotCreate(path: path, reason: "directory '\(parent)' is not writable")
        }
        let temporary = path + ".creating"
        try build(at: temporary, for: path, axes: axes, metadata: metadata, stage: ResultFileLayout.Stage.scanning) { _ in }
        try publish(temporary, as: path, replacing: overwrite)
        return try open(path: path, readOnly: false)
    }

    /// Opens an existing result file to continue its scan. A finished
    /// (compressed) file is first converted back to the scanning stage.
    public static func openForResume(path: String) throws -> ResultFile {
        let (stage, axes, metadata) = try inspect(path: path)
        if stage == ResultFileLayout.Stage.finished {
            let temporary = path + ".resuming"
            let source = try openHDF5(path, mode: .readOnly)
            try build(at: temporary, for: path, axes: axes, metadata: metadata, stage: ResultFileLayout.Stage.scanning) {
                destination in
                try copyResults(from: source, to: destination, axes: axes)
            }
            try source.close()
            try publish(temporary, as: path, replacing: true)
        }
        return try open(path: path, readOnly: false)
    }

    /// Opens a result file (either stage) for reading only.
    public static func openForReading(path: String) throws -> ResultFile {
        try open(path: path, readOnly: true)
    }

    /// Throws `ResultFileError.differentJob` unless the stored job
    /// fingerprint equals `fingerprint`.
    public func requireSameJob(fingerprint: String) throws {
        guard storedMetadata.jobFingerprint == fingerprint else {
            throw ResultFileError.differentJob(path: path)
        }
    }

    // MARK: Tiles

    /// The tiles whose values are completely on disk (`tile_done` = 1).
    public func completedTiles() throws -> Set<TileIndex> {
        let done = try dataset(ResultFileLayout.tileDone).read(UInt8.self)
        var tiles = Set<TileIndex>()
        for (offset, flag) in done.enumerated() where flag != 0 {
            tiles.insert(TileIndex(dT: offset / axes.eps3.count, eps3: offset % axes.eps3.count))
        }
        return tiles
    }

    /// Writes `values` for `tile`: the values, a flush, the tile's
    /// `tile_done` flag, another flush.
    public func write(_ values: TileValues, for tile: TileIndex) throws {
        guard !isReadOnly else { throw ResultFileError.closed(path: path) }
        try check(tile)
        let n = axes.eps1.count
        for variable in ResultFileLayout.doubleVariables {
            let expected = variable.perRegion ? 3 * n : n
            let count = values[keyPath: variable.values].count
            guard count == expected else {
                throw ResultFileError.wrongValueCount(field: variable.name, expected: expected, actual: count)
            }
        }
        for variable in ResultFileLayout.int32Variables where values[keyPath: variable.values].count != n {
            throw ResultFileError.wrongValueCount(
                field: variable.name, expected: n, actual: values[keyPath: variable.values].count)
        }
        for variable in ResultFileLayout.doubleVariables {
            let (start, count) = Self.selection(of: tile, pointCount: n, perRegion: variable.perRegion)
            try dataset(variable.name).write(values[keyPath: variable.values], start: start, count: count)
        }
        for variable in ResultFileLayout.int32Variables {
            let (start, count) = Self.selection(of: tile, pointCount: n, perRegion: false)
            try dataset(variable.name).write(values[keyPath: variable.values], start: start, count: count)
        }
        let file = try openFile()
        try file.flush()
        try dataset(ResultFileLayout.tileDone).write([UInt8(1)], start: [tile.dT, tile.eps3], count: [1, 1])
        try file.flush()
    }

    /// Reads the values stored for `tile` (fill values if not computed).
    public func values(for tile: TileIndex) throws -> TileValues {
        try check(tile)
        let n = axes.eps1.count
        var values = TileValues(pointCount: n)
        for variable in ResultFileLayout.doubleVariables {
            let (start, count) = Self.selection(of: tile, pointCount: n, perRegion: variable.perRegion)
            values[keyPath: variable.values] = try dataset(variable.name).read(Double.self, start: start, count: count)
        }
        for variable in ResultFileLayout.int32Variables {
            let (start, count) = Self.selection(of: tile, pointCount: n, perRegion: false)
            values[keyPath: variable.values] = try dataset(variable.name).read(Int32.self, start: start, count: count)
        }
        return values
    }

    // MARK: Ending

    /// Ends the run: rewrites the file compressed (finished stage) with the
    /// run's attributes (wall time, ranks, threads, tiles completed,
    /// non-converged points) and a `history` line, then closes it. Call it
    /// also after an interrupted run; `openForResume` continues either way.
    public func finish(run: RunSummary) throws {
        guard !isReadOnly else { throw ResultFileError.closed(path: path) }
        let done = try dataset(ResultFileLayout.tileDone).read(UInt8.self)
        let completed = done.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        let nonConverged = try countNonConverged()
        let line = "\(run.endTime) \(run.command) (\(run.ranks) ranks x \(run.threadsPerRank) threads, "
            + "\(String(format: "%.1f", run.wallTimeSeconds)) s, \(completed) of \(done.count) tiles done)"
        var metadata = storedMetadata
        metadata.history = metadata.history.isEmpty ? line : metadata.history + "\n" + line
        try close()

        let temporary = path + ".finishing"
        let source = try Self.openHDF5(path, mode: .readOnly)
        try Self.build(at: temporary, for: path, axes: axes, metadata: metadata, stage: ResultFileLayout.Stage.finished) {
            destination in
            typealias Root = ResultFileLayout.Root
            try destination.setAttribute(Root.tilesCompleted, .int(Int64(completed)))
            try destination.setAttribute(Root.wallTime, .double(run.wallTimeSeconds))
            try destination.setAttribute(Root.ranks, .int(Int64(run.ranks)))
            try destination.setAttribute(Root.threads, .int(Int64(run.threadsPerRank)))
            try destination.setAttribute(Root.nonConverged, .int(nonConverged.either))
            try destination.setAttribute(Root.nonConvergedF, .int(nonConverged.forward))
            try destination.setAttribute(Root.nonConvergedB, .int(nonConverged.backward))
            try Self.copyResults(from: source, to: destination, axes: axes)
        }
        try source.close()
        try Self.publish(temporary, as: path, replacing: true)
        storedMetadata = metadata
    }

    /// Closes the file without finishing it (it stays resumable).
    public func close() throws {
        datasets = [:]
        if let file {
            self.file = nil
            try file.close()
        }
    }

    // MARK: Private

    private func openFile() throws -> HDF5File {
        guard let file else { throw ResultFileError.closed(path: path) }
        return file
    }

    private func dataset(_ name: String) throws -> HDF5Dataset {
        guard file != nil, let dataset = datasets[name] else { throw ResultFileError.closed(path: path) }
        return dataset
    }

    private func check(_ tile: TileIndex) throws {
        guard axes.dT.indices.contains(tile.dT), axes.eps3.indices.contains(tile.eps3) else {
            throw ResultFileError.invalidTile(tile, axes: (axes.dT.count, axes.eps3.count))
        }
    }

    private static func selection(of tile: TileIndex, pointCount: Int, perRegion: Bool) -> (start: [Int], count: [Int]) {
        perRegion
            ? ([tile.dT, tile.eps3, 0, 0], [1, 1, pointCount, 3])
            : ([tile.dT, tile.eps3, 0], [1, 1, pointCount])
    }

    /// Points whose forward, backward, or either configuration has status 1
    /// or 2.
    private func countNonConverged() throws -> (forward: Int64, backward: Int64, either: Int64) {
        var counts: (forward: Int64, backward: Int64, either: Int64) = (0, 0, 0)
        let slab = [1, axes.eps3.count, axes.eps1.count]
        for d in axes.dT.indices {
            let forward = try dataset("status_F").read(Int32.self, start: [d, 0, 0], count: slab)
            let backward = try dataset("status_B").read(Int32.self, start: [d, 0, 0], count: slab)
            for (f, b) in zip(forward, backward) {
                let failedF = f > 0, failedB = b > 0
                if failedF { counts.forward += 1 }
                if failedB { counts.backward += 1 }
                if failedF || failedB { counts.either += 1 }
            }
        }
        return counts
    }

    private static func validate(axes: ScanAxes, metadata: ScanMetadata) throws {
        for (name, values) in [("eps1", axes.eps1), ("eps3", axes.eps3), ("dT", axes.dT)] {
            guard !values.isEmpty else { throw ResultFileError.invalidAxes(reason: "axis \(name) is empty") }
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

    private static func open(path: String, readOnly: Bool) throws -> ResultFile {
        let (_, axes, metadata) = try inspect(path: path)
        let file = try openHDF5(path, mode: readOnly ? .readOnly : .readWrite)
        var datasets: [String: HDF5Dataset] = [:]
        let n = axes.eps1.count
        let grid = [axes.dT.count, axes.eps3.count, n]
        var expected: [(String, [Int])] = ResultFileLayout.doubleVariables.map {
            ($0.name, $0.perRegion ? grid + [3] : grid)
        }
        expected += ResultFileLayout.int32Variables.map { ($0.name, grid) }
        expected.append((ResultFileLayout.tileDone, [axes.dT.count, axes.eps3.count]))
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
        return ResultFile(path: path, axes: axes, metadata: metadata, file: file, datasets: datasets, readOnly: readOnly)
    }

    /// Reads the stage, axes and metadata of the file at `path`.
    private static func inspect(path: String) throws -> (stage: String, axes: ScanAxes, metadata: ScanMetadata) {
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
        func coordinate(_ name: String) throws -> [Double] {
            guard try file.contains(name) else {
                throw ResultFileError.notAResultFile(path: path, reason: "coordinate \(name) is missing")
            }
            return try file.openDataset(name).read(Double.self)
        }
        let axes = ScanAxes(
            eps1: try coordinate(ResultFileLayout.eps1Coordinate.name),
            eps3: try coordinate(ResultFileLayout.eps3Coordinate.name),
            dT: try coordinate(ResultFileLayout.dTCoordinate.name))
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
        return (stage, axes, metadata)
    }

    /// Builds a complete file at `temporary` (replacing any leftover):
    /// coordinates, datasets and attributes in the layout of `stage`, then
    /// `fill(file)`, then closes and syncs it. Removes it on failure.
    private static func build(
        at temporary: String, for path: String, axes: ScanAxes, metadata: ScanMetadata, stage: String,
        fill: (HDF5File) throws -> Void
    ) throws {
        let file: HDF5File
        do {
            file = try HDF5File.create(temporary, mode: .truncate)
        } catch where error.message.contains("unable to lock file") {
            // Another process is building the same file: leave its temporary alone.
            throw ResultFileError.inUse(path: path)
        }
        do {
            try writeLayout(into: file, axes: axes, metadata: metadata, stage: stage)
            try fill(file)
            try file.close()
            try synchronize(temporary)
        } catch {
            try? file.close()
            unlink(temporary)
            throw error
        }
    }

    /// Opens `path`, reporting a file locked by another process clearly.
    private static func openHDF5(_ path: String, mode: HDF5File.AccessMode) throws -> HDF5File {
        do {
            return try HDF5File.open(path, mode: mode)
        } catch where error.message.contains("unable to lock file") {
            throw ResultFileError.inUse(path: path)
        }
    }

    private static func writeLayout(into file: HDF5File, axes: ScanAxes, metadata: ScanMetadata, stage: String) throws {
        typealias Layout = ResultFileLayout
        typealias Root = ResultFileLayout.Root
        let finished = stage == Layout.Stage.finished

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
        let dT = try coordinate(Layout.dTCoordinate, axes.dT)
        let eps3 = try coordinate(Layout.eps3Coordinate, axes.eps3)
        let eps1 = try coordinate(Layout.eps1Coordinate, axes.eps1)
        let region = try coordinate(Layout.regionCoordinate, Layout.regionValues)

        let grid = [axes.dT.count, axes.eps3.count, axes.eps1.count]
        func storage(_ shape: [Int]) -> HDF5Layout {
            finished
                ? .chunked(chunkShape: Layout.chunkShape(for: shape), deflateLevel: 4)
                : .contiguous(preallocated: true)
        }
        func describe(_ dataset: HDF5Dataset, units: String, longName: String, scales: [HDF5Dataset]) throws {
            try dataset.setAttribute("units", .string(units))
            try dataset.setAttribute("long_name", .string(longName))
            for (dimension, scale) in scales.enumerated() {
                try dataset.attach(scale: scale, toDimension: dimension)
            }
        }
        for variable in Layout.doubleVariables {
            let shape = variable.perRegion ? grid + [3] : grid
            let dataset = try file.createDataset(
                variable.name, of: Double.self, shape: shape, layout: storage(shape), fillValue: .nan)
            try describe(
                dataset, units: variable.units, longName: variable.longName,
                scales: variable.perRegion ? [dT, eps3, eps1, region] : [dT, eps3, eps1])
        }
        for variable in Layout.int32Variables {
            let dataset = try file.createDataset(
                variable.name, of: Int32.self, shape: grid, layout: storage(grid), fillValue: -1)
            try describe(dataset, units: "1", longName: variable.longName, scales: [dT, eps3, eps1])
            if variable.isStatus {
                try dataset.setAttribute(Root.statusCodes, .string(Layout.statusCodes))
                try dataset.setAttribute("flag_values", .ints(Layout.statusFlagValues))
                try dataset.setAttribute("flag_meanings", .string(Layout.statusFlagMeanings))
            }
        }
        let tileShape = [axes.dT.count, axes.eps3.count]
        let tileDone = try file.createDataset(
            Layout.tileDone, of: UInt8.self, shape: tileShape, layout: storage(tileShape), fillValue: 0)
        try describe(
            tileDone, units: "1", longName: "1 when the tile (the eps1 line at this dT, eps3) is complete",
            scales: [dT, eps3])
        try file.flush()
    }

    /// Copies every result dataset from `source` to `destination` (same
    /// axes), one ΔT slab at a time. Tiles whose `tile_done` flag is 0 are
    /// written as fill values, whatever partial values `source` holds.
    private static func copyResults(from source: HDF5File, to destination: HDF5File, axes: ScanAxes) throws {
        typealias Layout = ResultFileLayout
        let (nE3, nE1) = (axes.eps3.count, axes.eps1.count)
        let done = try source.openDataset(Layout.tileDone).read(UInt8.self)
        try destination.openDataset(Layout.tileDone).write(done)
        func copy<T: HDF5Scalar>(_ name: String, _ type: T.Type, perPoint: Int, fill: T) throws {
            let from = try source.openDataset(name)
            let to = try destination.openDataset(name)
            let start = perPoint == 1 ? [0, 0, 0] : [0, 0, 0, 0]
            let count = perPoint == 1 ? [1, nE3, nE1] : [1, nE3, nE1, perPoint]
            let tileLength = nE1 * perPoint
            for d in axes.dT.indices {
                var slabStart = start
                slabStart[0] = d
                var slab = try from.read(T.self, start: slabStart, count: count)
                for e3 in 0..<nE3 where done[d * nE3 + e3] == 0 {
                    slab.replaceSubrange(
                        (e3 * tileLength)..<((e3 + 1) * tileLength), with: repeatElement(fill, count: tileLength))
                }
                try to.write(slab, start: slabStart, count: count)
            }
        }
        for variable in Layout.doubleVariables {
            try copy(variable.name, Double.self, perPoint: variable.perRegion ? 3 : 1, fill: .nan)
        }
        for variable in Layout.int32Variables {
            try copy(variable.name, Int32.self, perPoint: 1, fill: -1)
        }
    }

    /// Moves the complete file `temporary` to `path`. Without `replacing`,
    /// fails if `path` exists (hard link, which refuses to replace).
    private static func publish(_ temporary: String, as path: String, replacing: Bool) throws {
        try movePublishing(temporary, as: path, replacing: replacing)
        // Make the new directory entry durable too (best effort: some file
        // systems refuse fsync on directories).
        let directory = (path as NSString).deletingLastPathComponent
        let descriptor = Foundation.open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY)
        if descriptor >= 0 {
            _ = fsync(descriptor)
            Foundation.close(descriptor)
        }
    }

    private static func movePublishing(_ temporary: String, as path: String, replacing: Bool) throws {
        if replacing {
            guard rename(temporary, path) == 0 else {
                let message = String(cString: strerror(errno))
                unlink(temporary)
                throw ResultFileError.system(call: "rename", path: path, message: message)
            }
            return
        }
        defer { unlink(temporary) }
        if link(temporary, path) == 0 { return }
        let linkError = errno
        if linkError == EEXIST { throw ResultFileError.fileExists(path: path) }
        // File systems without hard links: check, then rename (not atomic,
        // but no other diodescan writes this path).
        if FileManager.default.fileExists(atPath: path) { throw ResultFileError.fileExists(path: path) }
        guard rename(temporary, path) == 0 else {
            throw ResultFileError.system(call: "rename", path: path, message: String(cString: strerror(errno)))
        }
    }

    /// Forces the file's data to stable storage, so that a rename that
    /// publishes it cannot survive a power loss without its contents.
    private static func synchronize(_ path: String) throws {
        let descriptor = Foundation.open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw ResultFileError.system(call: "open", path: path, message: String(cString: strerror(errno)))
        }
        defer { Foundation.close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw ResultFileError.system(call: "fsync", path: path, message: String(cString: strerror(errno)))
        }
    }
}
