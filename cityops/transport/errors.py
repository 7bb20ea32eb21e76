"""Why a device could not be reached or answered, in words an engineer at 3 a.m. can act on."""

from __future__ import annotations

# cause code -> Chinese text for reports and messages
CAUSES = {
    "refused_target": "目标地址不在允许范围内，已拒绝连接",
    "no_credential": "未找到登录凭据",
    "timeout": "连接超时（设备不可达）",
    "refused": "连接被拒绝（端口未开放或服务未启动）",
    "auth": "认证失败（用户名或口令错误）",
    "host_key_unknown": "SSH 主机密钥未登记（known_hosts 中没有该设备）",
    "host_key_changed": "SSH 主机密钥与登记不符（可能设备已更换或存在中间人）",
    "read_timeout": "设备响应超时",
    "host_timeout": "超过单台设备巡检时限",
    "protocol": "协议错误（设备应答无法识别）",
    "garbage": "设备返回内容无法解析",
    "closed": "连接被设备中断",
    "tls": "证书校验失败",
}


class ConnectFailure(Exception):
    """A connection or command that failed for a reason outside cityops: carries a cause code and the host."""

    def __init__(self, host: str, cause: str, detail: str = ""):
        self.host, self.cause, self.detail = host, cause, detail
        super().__init__(f"{host}: {CAUSES.get(cause, cause)}" + (f" — {detail}" if detail else ""))

    @property
    def chinese(self) -> str:
        return CAUSES.get(self.cause, self.cause)
