"""The reference for the edge worker's benchmark: the original platform's predict path,
a FastAPI service (uvicorn, one worker process) answering POST /predict with the same
LightGBM model (tests/fixtures/models/lightgbm_l2.txt) through LightGBM's own
Booster.predict, one row per request — what aqcast's /v1/predict replaces.

Usage: python reference_server.py PORT
"""

import sys
from pathlib import Path

import lightgbm as lgb
import numpy as np
import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[2]
booster = lgb.Booster(model_file=str(ROOT / "tests/fixtures/models/lightgbm_l2.txt"))
NAMES = ("hour,dow,month,ws,wind_u,wind_v,air_temp,no2_lag0,no2_lag1,no2_lag2,no2_lag3,"
         "no2_lag23,no2_lag167,no2_roll24,bg_no2").split(",")
app = FastAPI()


class Row(BaseModel):
    model: str
    features: dict[str, float | None]


@app.post("/predict")
def predict(row: Row):
    try:
        x = np.array([[np.nan if row.features[n] is None else row.features[n] for n in NAMES]])
    except KeyError as e:
        raise HTTPException(422, f"missing feature {e}")
    return {"model": row.model, "prediction": float(booster.predict(x, num_threads=1)[0])}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", workers=1)
