//! The interface strings of every HTML page (the portal and the dataset landing pages) in
//! English and Japanese: one table, so a word is translated once. One macro line per string, so
//! a string missing in one language is a compile error, not a blank on the page.

macro_rules! texts {
    ($($key:ident: $en:literal, $ja:literal;)+) => {
        /// Every interface string of the portal in one language.
        #[derive(Debug)]
        pub struct Text {
            pub lang: &'static str,
            pub other_lang: &'static str,
            pub other_lang_name: &'static str,
            $(pub $key: &'static str,)+
        }

        pub static EN: Text = Text { lang: "en", other_lang: "ja", other_lang_name: "日本語", $($key: $en,)+ };
        pub static JA: Text = Text { lang: "ja", other_lang: "en", other_lang_name: "English", $($key: $ja,)+ };
    };
}

texts! {
    site_tagline: "FAIR research data", "FAIR な研究データ";
    skip_to_content: "Skip to content", "本文へ移動";
    nav_main: "Main navigation", "メインナビゲーション";
    nav_home: "Home", "ホーム";
    nav_search: "Search", "検索";
    nav_new: "New dataset", "新規データセット";
    nav_me: "My page", "マイページ";
    nav_steward: "Steward", "スチュワード";
    nav_audit: "Audit log", "監査ログ";
    nav_consortia: "Consortia", "コンソーシアム";
    sign_in: "Sign in", "サインイン";
    sign_out: "Sign out", "サインアウト";
    signed_in_as: "Signed in as", "サインイン中:";
    error_title: "Something went wrong", "エラーが発生しました";
    error_not_found: "Not found. It does not exist, or you may not see it.", "見つかりません。存在しないか、閲覧権限がありません。";
    error_forbidden: "You may not do this.", "この操作は許可されていません。";
    error_status: "Status", "ステータス";
    back_home: "Back to the home page", "ホームに戻る";
    home_title: "Find and share research data", "研究データを探す・共有する";
    home_intro: "Kura keeps what labs produce — instrument exports, lab notebooks — as citable datasets with tables, units and provenance.", "Kura は装置の出力や電子実験ノートなどの研究成果を、表・単位・来歴つきの引用可能なデータセットとして保管します。";
    search_label: "Search datasets", "データセットを検索";
    search_button: "Search", "検索";
    search_help: "Free text in English or Japanese, \"phrases\", creator:, unit:, format:, keyword:, license:, access:, year:", "英語・日本語の自由文、\"フレーズ\"、creator:、unit:、format:、keyword:、license:、access:、year: が使えます";
    counts: "In numbers", "統計";
    datasets_visible: "datasets you can see", "件の閲覧可能なデータセット";
    recent: "Recent datasets", "最近のデータセット";
    most_used: "Most used datasets", "よく使われるデータセット";
    reads: "data reads", "回のデータ利用";
    nothing_yet: "Nothing yet.", "まだありません。";
    results: "results", "件";
    results_for: "Results for", "検索結果:";
    sort: "Sort by", "並び順";
    sort_relevance: "Relevance", "関連度";
    sort_date: "Newest first", "新しい順";
    fuzzy: "Forgive typos", "表記ゆれを許容";
    search_scope: "Search in", "検索範囲";
    scope_local: "this node", "このノード";
    scope_all: "all consortium nodes", "コンソーシアムの全ノード";
    nodes_asked: "Nodes asked", "問い合わせたノード";
    node_ok: "answered", "応答あり";
    node_timeout: "no answer in time", "時間内に応答なし";
    node_error: "failed", "エラー";
    node_refused: "refused", "拒否";
    partial_results: "Some nodes did not answer: these results are incomplete.", "応答しなかったノードがあります。結果は一部のみです。";
    at_node: "at node", "ノード:";
    facets: "Refine", "絞り込み";
    active_filters: "Active filters", "適用中の絞り込み";
    remove_filter: "remove", "解除";
    previous: "Previous", "前へ";
    next: "Next", "次へ";
    page: "Page", "ページ";
    no_results: "No dataset matches.", "該当するデータセットはありません。";
    facet_access: "Access", "アクセス";
    facet_format: "Format", "形式";
    facet_license: "License", "ライセンス";
    facet_year: "Year", "年";
    facet_unit: "Unit", "単位";
    facet_keyword: "Keyword", "キーワード";
    facet_subject: "Subject", "分野";
    facet_creator: "Creator", "作成者";
    facet_group: "Group", "グループ";
    facet_organization: "Organization", "機関";
    facet_consortium: "Consortium", "コンソーシアム";
    username: "Username", "ユーザー名";
    password: "Password", "パスワード";
    wrong_credentials: "Wrong username or password.", "ユーザー名またはパスワードが違います。";
    too_many_attempts: "Too many failed sign-ins. Try again later.", "サインインの失敗が多すぎます。しばらくしてから再度お試しください。";
    my_datasets: "My datasets", "自分のデータセット";
    my_requests: "My access requests", "自分のアクセス申請";
    my_tokens: "My API tokens", "自分の API トークン";
    name: "Name", "名前";
    title: "Title", "タイトル";
    state: "State", "状態";
    version: "Version", "バージョン";
    dataset: "Dataset", "データセット";
    reason: "Reason", "理由";
    requested: "Requested", "申請日";
    answer: "Answer", "回答";
    created: "Created", "作成日";
    expires: "Expires", "有効期限";
    last_used: "Last used", "最終使用";
    scope: "Scope", "スコープ";
    never: "never", "なし";
    revoked: "revoked", "失効済み";
    revoke: "Revoke", "失効させる";
    create_token: "Create a token", "トークンを作成";
    token_name: "Token name", "トークン名";
    expires_in_days: "Expires after (days, empty for never)", "有効日数（空欄で無期限）";
    sharing_profile: "Delta Sharing profile", "Delta Sharing プロファイル";
    sharing_profile_help: "A profile file for pandas and Spark (the delta-sharing client): it holds a new token of yours that can only read, listed above and revocable, valid for the days given.", "pandas や Spark（delta-sharing クライアント）用のプロファイルファイルです。読み取り専用の新しいトークンを含み、上の一覧から失効できます。有効日数を指定してください。";
    sharing_profile_days: "Valid for (days, 1–365)", "有効日数（1〜365）";
    download_profile: "Download profile", "プロファイルをダウンロード";
    token_created: "Your new token. Copy it now: it is shown only once.", "新しいトークンです。今すぐコピーしてください（一度しか表示されません）。";
    scope_read: "read: read what you may read", "read: 閲覧のみ";
    scope_write: "write: also change what you may change", "write: 変更も可能";
    state_draft: "draft", "下書き";
    state_in_review: "in review", "審査中";
    state_published: "published", "公開";
    state_deaccessioned: "deaccessioned", "取り下げ";
    state_pending: "pending", "審査待ち";
    state_approved: "approved", "承認";
    state_denied: "denied", "却下";
    new_title: "New dataset", "新規データセット";
    new_intro: "Name the dataset, choose the group that owns it, and add files. Kura keeps every file byte for byte and reads tables out of the ones it knows.", "データセット名と所有グループを指定し、ファイルを追加してください。ファイルはそのまま保存され、対応する形式からは表が読み取られます。";
    dataset_name: "Name (letters, digits, - _ .; part of the URL)", "名前（英数字と - _ . 、URL の一部になります）";
    owner_group: "Owner group", "所有グループ";
    files_to_upload: "Files", "ファイル";
    drop_here: "Drop files here, or choose them", "ここにファイルをドロップ、または選択";
    upload_and_ingest: "Upload and read", "アップロードして読み取る";
    no_group: "You are not a member of any group yet: ask an administrator to add you to your lab's group.", "まだどのグループにも所属していません。管理者に研究室のグループへの追加を依頼してください。";
    job_title: "Reading the files", "ファイルの読み取り";
    job_state: "Job state", "ジョブの状態";
    files_done: "Files done", "処理済みファイル";
    bytes_done: "Bytes read", "読み取り済みバイト";
    per_file_errors: "Files that could not be read", "読み取れなかったファイル";
    file: "File", "ファイル";
    error: "Error", "エラー";
    job_running_note: "This page refreshes itself until the job ends.", "ジョブが終わるまでこのページは自動で更新されます。";
    job_queued: "queued", "待機中";
    job_running: "running", "実行中";
    job_succeeded: "succeeded", "成功";
    job_partially_failed: "partially failed", "一部失敗";
    job_failed: "failed", "失敗";
    job_cancelled: "cancelled", "キャンセル済み";
    cancel_job: "Cancel the job (nothing of it is kept; the files stay)", "ジョブをキャンセル（結果は保存されず、ファイルは残ります）";
    continue_editing: "Continue to the metadata", "メタデータの編集へ";
    edit_title: "Edit dataset", "データセットの編集";
    metadata: "Metadata", "メタデータ";
    title_en: "Title (English)", "タイトル（英語）";
    title_ja: "Title (Japanese)", "タイトル（日本語）";
    description_en: "Description (English)", "説明（英語）";
    description_ja: "Description (Japanese)", "説明（日本語）";
    creators_field: "Creators, one per line: Family, Given | ORCID iD | affiliation", "作成者（1 行に 1 人）: 姓, 名 | ORCID iD | 所属";
    keywords_field: "Keywords, comma-separated", "キーワード（カンマ区切り）";
    license_field: "License (SPDX id, e.g. CC-BY-4.0)", "ライセンス（SPDX ID、例: CC-BY-4.0）";
    save: "Save", "保存";
    saved: "Saved.", "保存しました。";
    fix_fields: "Some fields do not follow the metadata profile:", "メタデータプロファイルに沿っていない項目があります:";
    ready_for_review: "The metadata is complete: you can submit it for review.", "メタデータは揃っています。審査に提出できます。";
    not_ready: "Before submitting, complete:", "提出前に次を補ってください:";
    submit_review: "Submit for review", "審査に提出";
    submitted: "Submitted for review: a steward of the owner group will publish it or send it back.", "審査に提出しました。所有グループのスチュワードが公開または差し戻します。";
    sent_back: "Sent back by the steward", "スチュワードからの差し戻し";
    add_files: "Add files", "ファイルを追加";
    jobs: "Ingest jobs", "取り込みジョブ";
    yes: "yes", "はい";
    no: "no", "いいえ";
    read_how: "how it was read", "読み取り方";
    read_title: "How the file was read", "ファイルの読み取り方";
    read_format: "Format", "形式";
    read_detected: "Detected dialect and layout", "検出された形式とレイアウト";
    read_nothing_recorded: "The reader recorded no read parameters for this file.", "このファイルの読み取りパラメータは記録されていません。";
    read_delimiter: "Delimiter", "区切り文字";
    read_decimal: "Decimal separator", "小数点";
    read_encoding: "Encoding", "文字コード";
    read_header_line: "Header line", "見出し行";
    read_column_labels: "Column names from", "列名の取得元";
    read_first_data_line: "First data line (lines before it are the header block)", "最初のデータ行（それより前はヘッダーブロック）";
    read_skip_lines: "Skipped lines at the top", "先頭で読み飛ばす行数";
    read_comment_prefix: "Comment prefix", "コメント記号";
    read_runner_up: "Runner-up reading", "次点の読み方";
    read_score: "score", "スコア";
    read_given: "Parameters set by hand", "手動で指定したパラメータ";
    read_warnings: "Warnings of the reader", "読み取り時の警告";
    read_errors: "Errors of the last reading", "最後の読み取りのエラー";
    read_tables: "Tables read from the file", "ファイルから読み取った表";
    read_no_tables: "No table was read from this file.", "このファイルから表は読み取られていません。";
    read_rows: "rows", "行";
    read_column: "Column", "列";
    read_label: "Label in the file", "ファイル上の見出し";
    read_type: "Type", "型";
    read_unit: "Unit", "単位";
    read_first_rows: "First rows", "先頭の行";
    read_differently: "Read it differently", "読み取り方を変える";
    read_differently_intro: "Change what was detected and preview the first rows; nothing changes until you read the file again. Leave a field empty to detect it.", "検出結果を変更して先頭の行をプレビューできます。もう一度読み取るまで下書きは変わりません。空欄の項目は自動検出されます。";
    read_delimiter_hint: ", ; | tab space whitespace", ", ; | tab space whitespace（連続空白）";
    read_decimal_hint: ". or ,", ". または ,";
    read_quote: "Quote character", "引用符";
    read_quote_hint: "\" or ' or none", "\" または ' または none（引用なし）";
    read_thousands: "Thousands separator", "桁区切り";
    read_thousands_hint: ", . ' or none; needs the decimal separator", ", . ' または none。小数点の指定も必要";
    read_columns_legend: "Column types and units (empty: as detected)", "列の型と単位（空欄は検出どおり）";
    read_detect: "detect", "自動検出";
    read_encoding_hint: "utf-8, shift_jis, windows-1252…", "utf-8、shift_jis、windows-1252 など";
    read_header_line_hint: "1-based; 0 when there is no header line", "1 から数える。見出し行がなければ 0";
    read_preview: "Preview", "プレビュー";
    read_again: "Read again", "もう一度読み取る";
    read_preview_title: "Preview with these parameters (the draft is unchanged)", "このパラメータでのプレビュー（下書きは変更されていません）";
    read_preview_failed: "The file cannot be read with these parameters", "このパラメータではファイルを読み取れません";
    read_not_a_number: "is not a whole number", "は整数ではありません";
    no_draft: "There is no open draft. Start a new version to change the dataset.", "編集中の下書きはありません。変更するには新しいバージョンを開始してください。";
    new_version: "Start a new version", "新しいバージョンを開始";
    view_landing: "View the landing page", "ランディングページを見る";
    role: "Role", "役割";
    size: "Size (bytes)", "サイズ（バイト）";
    steward_title: "Steward desk", "スチュワード";
    review_queue: "Review queue", "審査待ち";
    inbox: "Access requests", "アクセス申請";
    requester: "Requester", "申請者";
    approve: "Approve", "承認";
    deny: "Deny", "却下";
    approve_until: "Access until", "アクセス期限";
    deny_reason: "Reason for denying", "却下理由";
    manage: "Manage access", "アクセス管理";
    managed_datasets: "Datasets of your groups", "所属グループのデータセット";
    publish: "Publish", "公開";
    send_back: "Send back", "差し戻す";
    comment: "Comment for the editors", "編集者へのコメント";
    policy: "Access policy", "アクセスポリシー";
    level: "Access level", "アクセスレベル";
    level_open: "Open", "オープン";
    level_embargoed: "Embargoed until a date", "期日までエンバーゴ";
    level_consortium: "Consortium members only", "コンソーシアム会員限定";
    level_restricted: "Restricted: on request", "制限付き（申請制）";
    level_closed: "Closed", "非公開";
    embargo_until: "Embargo date", "エンバーゴ期日";
    consortia_field: "Consortia", "コンソーシアム";
    masked_columns: "Masked columns (visible to the owner group only)", "マスクする列（所有グループのみ閲覧可）";
    terms: "Terms of use", "利用条件";
    save_policy: "Save the policy", "ポリシーを保存";
    policy_saved: "The policy is saved.", "ポリシーを保存しました。";
    grants: "Grants", "付与済みアクセス";
    audit_title: "Audit log", "監査ログ";
    filter: "Filter", "絞り込む";
    actor: "Actor", "操作者";
    action: "Action", "操作";
    surface: "Surface", "経路";
    since: "Since", "開始日";
    until: "Until", "終了日";
    at: "When", "日時";
    target: "Target", "対象";
    details: "Details", "詳細";
    consortia_title: "Consortia", "コンソーシアム";
    members: "Members", "メンバー";
    organization: "Organization", "機関";
    group: "Group", "グループ";
    agreement_versions: "Agreement versions", "協定のバージョン";
    current_agreement: "current", "現行";
    accepted_by: "Who accepted the current agreement", "現行協定の同意者";
    accepted_by_coordinators_only: "Who accepted is shown to the consortium's coordinators only.", "同意者はコンソーシアムの運営者にのみ表示されます。";
    coordinator: "Coordinating group", "運営グループ";
    no_coordinator: "none (platform administrators)", "なし（プラットフォーム管理者）";
    new_consortium: "Start a consortium", "コンソーシアムを作成";
    new_consortium_hint: "Your group coordinates it: its stewards manage members and agreement versions.", "あなたのグループが運営します。そのスチュワードがメンバーと協定のバージョンを管理します。";
    consortium_description: "Description", "説明";
    agreement_terms: "Terms of the data-sharing agreement", "データ共有協定の条項";
    agreement_url: "Link to the full agreement (optional)", "協定全文へのリンク（任意）";
    create_consortium: "Create the consortium", "コンソーシアムを作成";
    manage_consortium: "Manage the consortium", "コンソーシアムの管理";
    add_member: "Add a member", "メンバーを追加";
    member_to_add: "Group or organization", "グループまたは機関";
    add: "Add", "追加";
    new_agreement_version: "Publish a new agreement version", "協定の新バージョンを公開";
    new_agreement_hint: "Members must accept the new version before they read consortium data again.", "メンバーは新バージョンに同意するまでコンソーシアムのデータを読めなくなります。";
    publish_agreement: "Publish this version", "このバージョンを公開";
    accept_agreement: "Accept the current agreement", "現行の協定に同意する";
    accepted: "You accepted the current agreement.", "現行の協定に同意済みです。";
    what_you_can_do: "What you can do", "できること";
    request_access_title: "Request access", "アクセスを申請";
    request_reason: "Why do you need the data?", "データが必要な理由";
    request_sent: "Your request is sent: a steward of the owner group will answer it.", "申請を送信しました。所有グループのスチュワードが回答します。";
    edit_dataset: "Edit this dataset", "このデータセットを編集";
    manage_dataset: "Manage access and review", "アクセス管理と審査";
    sign_in_to_request: "Sign in to request access.", "アクセスを申請するにはサインインしてください。";
    none: "none", "なし";
    // The landing page of a dataset version.
    versions: "Versions", "バージョン一覧";
    published: "Published", "公開日";
    draft: "Draft (visible to the owner group only)", "下書き（所有グループのみ閲覧可）";
    deaccessioned: "Deaccessioned", "公開取り下げ";
    tombstone_title: "This version has been withdrawn", "このバージョンは取り下げられました";
    tombstone_reason: "Reason", "理由";
    description: "Description", "説明";
    creators: "Creators", "作成者";
    keywords: "Keywords", "キーワード";
    subjects: "Subjects", "分野";
    license: "License", "ライセンス";
    no_license: "No license given", "ライセンスの指定なし";
    access: "Access", "アクセス";
    open_access: "Open access", "オープンアクセス";
    embargoed_until: "Embargoed until", "エンバーゴ期限";
    you_can_read: "You may download the data.", "データをダウンロードできます。";
    you_cannot_read: "You may not download the data yet.", "現在データはダウンロードできません。";
    request_access: "Signed-in users may request access below (or with POST /api/v1/datasets/{name}/access-requests).", "サインインすると下のフォーム（または POST /api/v1/datasets/{name}/access-requests）でアクセスを申請できます。";
    sign_in_hint: "Sign in to request access or to use your consortium membership.", "アクセス申請やコンソーシアム会員としての利用にはサインインしてください。";
    you_can_edit: "You may edit this dataset (you are in its owner group).", "所有グループのメンバーとしてこのデータセットを編集できます。";
    files: "Files", "ファイル";
    path: "Path", "パス";
    media_type: "Media type", "メディアタイプ";
    download: "Download", "ダウンロード";
    tables: "Tables", "テーブル";
    rows: "rows", "行";
    column: "Column", "列";
    original_label: "Original label", "元のラベル";
    data_type: "Type", "型";
    unit: "Unit", "単位";
    provenance: "Provenance", "来歴";
    provenance_line: "read by", "読み取り";
    citation: "Cite this dataset", "引用";
    machine_readable: "Machine-readable metadata", "機械可読メタデータ";
    identifier: "Persistent identifier", "永続識別子";
    current: "this version", "このバージョン";
    first_rows: "First rows", "先頭の行";
    // Compute jobs: the jobs page, a job's page, the landing page's form, the airlock.
    nav_jobs: "Jobs", "ジョブ";
    jobs_title: "My compute jobs", "計算ジョブ";
    jobs_intro: "SQL jobs you submitted over data you may read. Their outputs are new draft datasets of your group.", "閲覧できるデータに対して投入した SQL ジョブです。出力はあなたのグループの新しい下書きデータセットになります。";
    compute_job_title: "Compute job", "計算ジョブ";
    job_kind: "Kind", "種類";
    job_submitted_at: "Submitted", "投入日時";
    finished: "Finished", "終了日時";
    job_output: "Output", "出力";
    job_inputs: "Inputs", "入力";
    job_code: "Query", "クエリ";
    job_log: "Log (shown to you only)", "ログ（投入者のみ閲覧可）";
    all_jobs: "All my jobs", "ジョブ一覧へ";
    open_output: "Open the output dataset", "出力データセットを開く";
    compute_running_note: "This page follows the job until it ends.", "このページはジョブが終了するまで自動で更新されます。";
    cancel_compute_job: "Cancel the job", "ジョブをキャンセル";
    task_queued: "Queued", "待機中";
    task_initializing: "Starting", "準備中";
    task_running: "Running", "実行中";
    task_complete: "Complete", "完了";
    task_executor_error: "Failed (the job's error)", "失敗（ジョブのエラー）";
    task_system_error: "Failed (the platform's error)", "失敗（システムのエラー）";
    task_canceled: "Canceled", "キャンセル済み";
    run_sql: "Run a SQL job on this version", "このバージョンで SQL ジョブを実行";
    run_sql_hint: "Each table you pick is read under its own name; the result becomes a new draft dataset of your group, at least as restricted as this one.", "選んだテーブルはそのテーブル名で参照できます。結果はあなたのグループの新しい下書きデータセットになり、アクセス制限はこのデータセット以上に厳しくなります。";
    job_name: "Job name", "ジョブ名";
    sql_query: "SQL query", "SQL クエリ";
    input_tables: "Input tables", "入力テーブル";
    owner_group_of_output: "Group that owns the output", "出力を所有するグループ";
    submit_job: "Submit the job", "ジョブを投入";
    inherited_title: "Inherited restrictions", "継承されたアクセス制限";
    inherited_intro: "This dataset was written by a compute job. Its access level may not be looser than its inputs' — loosening it needs an airlock release approved by a steward of every input's group.", "このデータセットは計算ジョブが出力したものです。アクセスレベルは入力データより緩くできません。緩めるには、すべての入力データの所有グループのスチュワードによるエアロック承認が必要です。";
    inherited_level: "Inherited level", "継承されたレベル";
    inherited_from: "Imposed by the inputs", "制限の由来（入力データ）";
    written_by_job: "Written by job", "出力したジョブ";
    input_not_visible: "an input you may not see", "閲覧権限のない入力データ";
    output_not_visible: "an output of another group (not visible to you)", "他グループの出力（閲覧不可）";
    airlock_title: "Airlock releases", "エアロック申請（公開範囲の緩和）";
    airlock_intro: "Owners of compute outputs ask to loosen an inherited restriction; each input's owner group must approve.", "計算結果の所有者が継承された制限の緩和を申請しています。入力データの各所有グループの承認が必要です。";
    airlock_level_asked: "Level asked for", "申請されたレベル";
    airlock_inputs: "Computed from", "計算に使われた入力";
    airlock_approvals: "Approvals", "承認数";
    approve_release: "Approve the release", "緩和を承認";
    awaiting_others: "Waiting for other groups", "他グループの承認待ち";
    derived_from: "Derived from", "導出元";
    input_hidden: "an input you cannot see", "閲覧できない入力";
    compute_job: "Compute job", "計算ジョブ";
    job_runner: "runner", "実行系";
    job_submitter: "submitted by", "投入者";
    job_started: "started", "開始";
    job_ended: "ended", "終了";
}

/// The table for a language tag.
pub fn text(lang: &str) -> &'static Text {
    if lang == "ja" { &JA } else { &EN }
}

impl Text {
    /// The label of a version state, job state or request state.
    pub fn state(&self, state: &str) -> &'static str {
        match state {
            "draft" => self.state_draft,
            "in_review" => self.state_in_review,
            "published" => self.state_published,
            "deaccessioned" => self.state_deaccessioned,
            "pending" => self.state_pending,
            "approved" => self.state_approved,
            "denied" => self.state_denied,
            "queued" => self.job_queued,
            "running" => self.job_running,
            "succeeded" => self.job_succeeded,
            "partially_failed" => self.job_partially_failed,
            "failed" => self.job_failed,
            "cancelled" => self.job_cancelled,
            "QUEUED" => self.task_queued,
            "INITIALIZING" => self.task_initializing,
            "RUNNING" => self.task_running,
            "COMPLETE" => self.task_complete,
            "EXECUTOR_ERROR" => self.task_executor_error,
            "SYSTEM_ERROR" => self.task_system_error,
            "CANCELED" => self.task_canceled,
            _ => "",
        }
    }

    /// The label of a node's status in a federated search.
    pub fn node_status(&self, status: &str) -> &'static str {
        match status {
            "ok" => self.node_ok,
            "timeout" => self.node_timeout,
            "refused" => self.node_refused,
            _ => self.node_error,
        }
    }

    /// The label of an access level (`open`, `embargoed`…), or the value itself.
    pub fn level<'a>(&self, value: &'a str) -> &'a str {
        match value {
            "open" => self.level_open,
            "embargoed" => self.level_embargoed,
            "consortium" => self.level_consortium,
            "restricted" => self.level_restricted,
            "closed" => self.level_closed,
            other => other,
        }
    }

    /// The heading of a search facet.
    pub fn facet(&self, name: &str) -> &'static str {
        match name {
            "access" => self.facet_access,
            "format" => self.facet_format,
            "license" => self.facet_license,
            "year" => self.facet_year,
            "unit" => self.facet_unit,
            "keyword" => self.facet_keyword,
            "subject" => self.facet_subject,
            "creator" => self.facet_creator,
            "group" => self.facet_group,
            "organization" => self.facet_organization,
            "consortium" => self.facet_consortium,
            _ => "",
        }
    }
}
