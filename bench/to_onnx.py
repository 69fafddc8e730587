#!/usr/bin/env python3
"""Converts a LightGBM text model to ONNX with onnxmltools (for the onnxruntime-web comparison).
Usage: to_onnx.py MODEL.txt OUT.onnx N_FEATURES      Needs: pip install onnxmltools onnx"""
import sys

import lightgbm as lgb
import onnxmltools
from onnxmltools.convert.common.data_types import FloatTensorType

booster = lgb.Booster(model_file=sys.argv[1])
onnx = onnxmltools.convert_lightgbm(
    booster, initial_types=[("input", FloatTensorType([None, int(sys.argv[3])]))], target_opset=15)
onnxmltools.utils.save_model(onnx, sys.argv[2])
