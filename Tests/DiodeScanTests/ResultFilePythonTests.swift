import DiodeHDF5
@testable import DiodeScan
import DiodeTestSupport
import Foundation
import XCTest

/// Opens result files with the Python stack users read them with (h5py,
/// xarray + h5netcdf). Skipped when those packages are not installed.
final class ResultFilePythonTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        guard Self.python(["-c", "import h5py, xarray, h5netcdf"]).status == 0 else {
            throw XCTSkip("python3 with h5py, xarray and h5netcdf is not available")
        }
        directory = try TemporaryDirectory()
    }

    override func tearDown() { directory?.remove() }

    static let check = #"""
        import sys, math, h5py, numpy as np, xarray as xr
        path, stage, compression = sys.argv[1], sys.argv[2], sys.argv[3]
        ds = xr.open_dataset(path, engine="h5netcdf")
        for name in ["I_F", "I_B", "J_F", "J_B", "R_I", "R_J", "mu_p_F", "mu_p_B", "T_p_F", "T_p_B",
                     "status_F", "status_B", "iterations_F", "iterations_B"]:
            assert ds[name].dims == ("dT", "eps3", "eps1"), (name, ds[name].dims)
            assert isinstance(ds[name].attrs["units"], str) and isinstance(ds[name].attrs["long_name"], str), name
        for name in ["U_F", "U_B"]:
            assert ds[name].dims == ("dT", "eps3", "eps1", "region"), (name, ds[name].dims)
        assert ds["tile_done"].dims == ("dT", "eps3")
        assert list(ds.coords["dT"].values) == [0.5, 1.0]
        assert list(ds.coords["eps3"].values) == [38, 42, 46]
        assert list(ds.coords["eps1"].values) == [30, 35, 40, 45, 50]
        assert list(ds.coords["region"].values) == [1, 2, 3]
        assert ds.coords["eps1"].attrs["units"] == "k_B T"
        assert ds["I_F"].attrs["units"] == "k_B T / h"
        assert ds.attrs["file_stage"] == stage and isinstance(ds.attrs["job_text"], str)
        assert ds.attrs["job_text"] == "[model]\nmu = 40\n"
        assert ds.attrs["status_codes"].startswith("-1: not computed")
        assert float(ds.attrs["mu"]) == 40.0
        assert list(ds.attrs["parameter_names"])[:2] == ["mu", "gamma1"]
        # Values by label: tile (dT=1.0, eps3=46) was written, (0.5, 38) not.
        assert float(ds["I_F"].sel(dT=1.0, eps3=46, eps1=30)) == 100 + 20 + 0.1
        assert int(ds["status_B"].sel(dT=1.0, eps3=46, eps1=40)) == 2
        if stage == "finished":
            # Fill values wherever a tile was not computed.
            assert int(ds["status_F"].sel(dT=0.5, eps3=38, eps1=30)) == -1
            assert math.isnan(float(ds["J_B"].sel(dT=0.5, eps3=38, eps1=30)))
            assert int(ds["tile_done"].sel(dT=0.5, eps3=38)) == 0
        else:
            # While scanning, a tile never written is flagged 3 (its storage unfilled).
            assert int(ds["tile_done"].sel(dT=0.5, eps3=38)) == 3
        assert int(ds["tile_done"].sel(dT=1.0, eps3=46)) == 1
        assert float(ds["U_F"].sel(dT=1.0, eps3=46, eps1=30, region=2)) == 120 + 2 + 1 / 16
        with h5py.File(path, "r") as f:
            assert isinstance(f.attrs["job_fingerprint"], str)
            assert isinstance(f["I_F"].attrs["long_name"], str)
            assert f["I_F"].dims[2][0].name == "/eps1"
            if compression == "deflate":
                assert f["I_F"].compression == "gzip" and f["I_F"].chunks is not None
                assert f["I_F"].shuffle and f["U_B"].compression == "gzip"
            else:
                assert f["I_F"].compression is None and f["I_F"].chunks is None
        print("ok")
        """#

    func testScanningAndFinishedFilesOpenInXarrayWithLabelledCoordinates() throws {
        let path = directory.file("xr.h5")
        let axes = ResultFileFixture.axes
        let file = try ResultFile.create(path: path, axes: axes, metadata: ResultFileFixture.metadata(), overwrite: false)
        let written = [TileIndex(dT: 1, eps3: 2), TileIndex(dT: 0, eps3: 1)]
        for tile in written { try file.write(ResultFileFixture.values(for: tile), for: tile) }
        try file.close()
        let scanning = Self.python(["-c", Self.check, path, "scanning", "none"])
        XCTAssertEqual(scanning.status, 0, scanning.output)

        for compression in ResultCompression.allCases {
            try ResultFile.openForResume(path: path).finish(run: ResultFileFixture.summary(), compression: compression)
            let finished = Self.python(["-c", Self.check, path, "finished", compression.rawValue])
            XCTAssertEqual(finished.status, 0, "\(compression): \(finished.output)")
        }
    }

    func testSWMRWrittenFileOpensInH5py() throws {
        let path = directory.file("swmr.h5")
        do {
            let file = try HDF5File.create(path, mode: .exclusive, format: .latest)
            let dataset = try file.createDataset(
                "d", of: Double.self, shape: [2, 4], layout: .chunked(chunkShape: [1, 4], deflateLevel: 4),
                fillValue: .nan)
            try dataset.setAttribute("long_name", .string("written in SWMR mode"))
            try file.startSWMRWrite()
            try dataset.write([1, 2, 3, 4], start: [1, 0], count: [1, 4])
            try file.close()
        }
        let script = """
            import sys, h5py, math
            with h5py.File(sys.argv[1], "r") as f:
                assert list(f["d"][1]) == [1, 2, 3, 4] and all(math.isnan(x) for x in f["d"][0])
                assert f["d"].attrs["long_name"] == "written in SWMR mode"
            print("ok")
            """
        let result = Self.python(["-c", script, path])
        XCTAssertEqual(result.status, 0, result.output)
    }

    static func python(_ arguments: [String]) -> (status: Int32, output: String) {
        run("/usr/bin/env", ["python3"] + arguments)
    }

    static func run(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// `h5dump`, the reference HDF5 tool, reads both stages of a result file.
/// Skipped when hdf5-tools is not installed.
final class ResultFileH5DumpTests: XCTestCase {
    func testH5DumpReadsScanningAndFinishedFiles() throws {
        guard let h5dump = ["/usr/bin/h5dump", "/usr/local/bin/h5dump"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) else { throw XCTSkip("h5dump (hdf5-tools) is not installed") }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("dump.h5")
        let axes = ResultFileFixture.axes
        let file = try ResultFile.create(path: path, axes: axes, metadata: ResultFileFixture.metadata(), overwrite: false)
        try file.write(ResultFileFixture.values(for: TileIndex(dT: 0, eps3: 0)), for: TileIndex(dT: 0, eps3: 0))
        try file.close()
        for (stage, compression) in [("scanning", nil), ("finished", ResultCompression.none), ("finished", .deflate)] {
            if let compression {
                try ResultFile.openForResume(path: path).finish(run: ResultFileFixture.summary(), compression: compression)
            }
            let dump = ResultFilePythonTests.run(h5dump, ["-d", "I_F", "-a", "file_stage", path])
            XCTAssertEqual(dump.status, 0, dump.output)
            XCTAssertTrue(dump.output.contains("(0,0,0): 0.1, nan, 0.35, 0.475, 0.6"), dump.output)
            XCTAssertTrue(dump.output.contains("\"\(stage)\""), dump.output)
            XCTAssertTrue(dump.output.contains("DIMENSION_LIST"), dump.output)
        }
    }
}
