//! Part files: one Parquet file per (site, variable, source file, flush), two columns
//! `time` (INT64, milliseconds since the Unix epoch, UTC, delta-encoded) and `value`
//! (DOUBLE, the canonical unit), sorted by time, zstd-compressed.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::column::reader::get_typed_column_reader;
use parquet::data_type::{DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::ColumnPath;

use crate::data::StoreError;

const SCHEMA: &str = "message observation {
    required int64 time (TIMESTAMP(MILLIS, true));
    required double value;
}";

/// Writes `rows` (sorted by time) as a Parquet file to `out`.
pub fn write(out: File, rows: &[(i64, f64)]) -> Result<File, parquet::errors::ParquetError> {
    let schema = Arc::new(parse_message_type(SCHEMA)?);
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1)?))
        .set_column_dictionary_enabled(ColumnPath::from("time"), false)
        .set_column_encoding(ColumnPath::from("time"), Encoding::DELTA_BINARY_PACKED)
        .set_created_by(format!("aqcast {}", env!("CARGO_PKG_VERSION")))
        .build();
    let mut w = SerializedFileWriter::new(out, schema, Arc::new(props))?;
    for chunk in rows.chunks(1 << 20) {
        let mut rg = w.next_row_group()?;
        let times: Vec<i64> = chunk.iter().map(|r| r.0 * 1000).collect();
        let values: Vec<f64> = chunk.iter().map(|r| r.1).collect();
        if let Some(mut c) = rg.next_column()? {
            c.typed::<Int64Type>().write_batch(&times, None, None)?;
            c.close()?;
        }
        if let Some(mut c) = rg.next_column()? {
            c.typed::<DoubleType>().write_batch(&values, None, None)?;
            c.close()?;
        }
        rg.close()?;
    }
    w.into_inner()
}

/// Reads a part file back as (Unix seconds, value) rows, appending to `out`.
pub fn read(path: &Path, out: &mut Vec<(i64, f64)>) -> Result<(), StoreError> {
    let bad = |e: parquet::errors::ParquetError| StoreError::Corrupt {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let f = File::open(path).map_err(StoreError::io(path))?;
    let reader = SerializedFileReader::new(f).map_err(bad)?;
    let schema = reader.metadata().file_metadata().schema_descr();
    if schema.num_columns() != 2
        || schema.column(0).name() != "time"
        || schema.column(1).name() != "value"
    {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            message: "not an aqcast part file (expected columns time, value)".into(),
        });
    }
    for i in 0..reader.num_row_groups() {
        let rg = reader.get_row_group(i).map_err(bad)?;
        let n = rg.metadata().num_rows() as usize;
        let mut times: Vec<i64> = Vec::with_capacity(n);
        let mut values: Vec<f64> = Vec::with_capacity(n);
        let mut tr = get_typed_column_reader::<Int64Type>(rg.get_column_reader(0).map_err(bad)?);
        let mut vr = get_typed_column_reader::<DoubleType>(rg.get_column_reader(1).map_err(bad)?);
        while times.len() < n {
            let (read, _, _) = tr
                .read_records(n - times.len(), None, None, &mut times)
                .map_err(bad)?;
            if read == 0 {
                break;
            }
        }
        while values.len() < n {
            let (read, _, _) = vr
                .read_records(n - values.len(), None, None, &mut values)
                .map_err(bad)?;
            if read == 0 {
                break;
            }
        }
        if times.len() != n || values.len() != n {
            return Err(StoreError::Corrupt {
                path: path.to_path_buf(),
                message: format!("row group {i} holds fewer rows than it declares"),
            });
        }
        out.extend(times.into_iter().map(|t| t.div_euclid(1000)).zip(values));
    }
    Ok(())
}
